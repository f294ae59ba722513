extension SignatureImage {
    /// Writes the image XObject (and its /SMask) into the update; returns the image's reference.
    func write(into writer: inout IncrementalWriter) -> PDFRef {
        var dict = PDFDict([
            ("Type", .name("XObject")), ("Subtype", .name("Image")), ("Width", .int(width)), ("Height", .int(height)),
        ])
        switch colorSpace {
        case .gray: dict["ColorSpace"] = .name("DeviceGray")
        case .rgb: dict["ColorSpace"] = .name("DeviceRGB")
        case .cmyk: dict["ColorSpace"] = .name("DeviceCMYK")
        case .indexed(let palette):
            dict["ColorSpace"] = .array([
                .name("Indexed"), .name("DeviceRGB"), .int(palette.count / 3 - 1), .hexString(palette),
            ])
        }
        dict["BitsPerComponent"] = .int(bitsPerComponent)
        var bytes = data
        switch encoding {
        case .dct:
            dict["Filter"] = .name("DCTDecode")
        case .pngPredicted:
            dict["Filter"] = .name("FlateDecode")
            dict["DecodeParms"] = .dict(
                PDFDict([
                    ("Predictor", .int(15)), ("Colors", .int(colorSpace.components)),
                    ("BitsPerComponent", .int(bitsPerComponent)), ("Columns", .int(width)),
                ]))
        case .raw:
            dict["Filter"] = .name("FlateDecode")
            bytes = Flate.deflate(data, level: 6)
        }
        if let decode { dict["Decode"] = .array(decode.map { .int($0) }) }
        if let alpha {
            let maskRef = writer.allocate()
            let mask = PDFDict([
                ("Type", .name("XObject")), ("Subtype", .name("Image")), ("Width", .int(width)),
                ("Height", .int(height)), ("ColorSpace", .name("DeviceGray")), ("BitsPerComponent", .int(8)),
                ("Filter", .name("FlateDecode")),
            ])
            writer.set(maskRef, .stream(PDFStream(dict: mask, data: Flate.deflate(alpha, level: 6))))
            dict["SMask"] = .ref(maskRef)
        }
        let ref = writer.allocate()
        writer.set(ref, .stream(PDFStream(dict: dict, data: bytes)))
        return ref
    }
}
