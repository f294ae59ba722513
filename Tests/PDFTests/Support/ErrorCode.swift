@testable import PDF

/// The code of the `PDFError` that `body` throws; nil when it succeeds. Any other error is
/// reported as such, so an assertion on the code fails.
func errorCode(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as PDFError {
        return error.code
    } catch {
        return "not a PDFError: \(error)"
    }
}
