/// The binary PGM (`P5`) and PPM (`P6`) files `pdftoppm` writes, maxval 255.
enum Netpbm {
    /// Width, height and the pixel bytes (`channels` per pixel, row by row from the top).
    static func read(_ bytes: [UInt8], magic: String, channels: Int) throws -> (Int, Int, [UInt8]) {
        var fields: [String] = []
        var index = 0
        var current = ""
        while fields.count < 4, index < bytes.count {
            let c = bytes[index]
            index += 1
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                if !current.isEmpty {
                    fields.append(current)
                    current = ""
                }
            } else {
                current.append(Character(UnicodeScalar(c)))
            }
        }
        guard fields.count == 4, fields[0] == magic, let width = Int(fields[1]), let height = Int(fields[2]),
            fields[3] == "255", bytes.count - index == channels * width * height
        else { throw ShellError.failed("not an 8-bit binary \(magic) file") }
        return (width, height, Array(bytes[index...]))
    }
}
