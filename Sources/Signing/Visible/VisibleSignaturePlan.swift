import Common
import Foundation
import PDF

/// A checked `visibleSignatureInfo`: where the signature goes and what it shows. The text is a
/// template until the signer knows its certificate (`appearance(for:at:)`).
public struct VisibleSignaturePlan: Sendable, Equatable {
    public var placement: VisibleSignature
    /// Everything but the text.
    public var appearance: SignatureAppearance
    /// Nil: the PDF module's default text ("Signed by <name>", the date).
    public var template: SignatureTemplate?

    /// The appearance with the template filled in from `certificate` at `time`.
    public func appearance(for certificate: CertificateNames, at time: Date) -> SignatureAppearance {
        var appearance = self.appearance
        appearance.text = template?.text(certificate: certificate, date: time)
        return appearance
    }
}
