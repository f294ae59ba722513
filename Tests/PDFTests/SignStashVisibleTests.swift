import Common
import Foundation
import TestSupport
import Testing

@testable import PDF
@testable import Signing

/// Sign'Stash's `visibleSignatureInfo` read into a plan: formats, defaults, every check, and the
/// template language. Pure: no document is signed here (see PAdESSignerTests and
/// SignatureImageTests for the drawn results).
struct SignStashVisibleTests {
    static func plan(_ info: VisibleSignatureInfo, serviceTemplate: String? = nil) throws -> VisibleSignaturePlan {
        try #require(try PAdESSigner.visibleSignature(info, serviceTemplate: serviceTemplate))
    }

    /// The message of the INVALID_VISIBLE_SIGNATURE error `info` gets.
    static func refusal(_ info: VisibleSignatureInfo, serviceTemplate: String? = nil) -> String? {
        do {
            _ = try PAdESSigner.visibleSignature(info, serviceTemplate: serviceTemplate)
            return nil
        } catch {
            #expect(error.code == "INVALID_VISIBLE_SIGNATURE")
            return error.message
        }
    }

    @Test func theTablesExampleIsReadAsWritten() throws {
        let plan = try Self.plan(
            VisibleSignatureInfo(
                locationType: "COORDINATE", locationValue: "page=1,x=70,y=100", area: "width=155,height=50",
                areaBackgroundColor: "#FFEECC", font: "color=#000000,size=11,name=arial", templateType: "ONE_OFF",
                oneOffTemplate: "Digitally signed by $certificate.getCommonName()."))
        #expect(plan.placement == .coordinates(page: 1, x: 70, y: 100, width: 155, height: 50))
        #expect(plan.appearance.background == RGBColor(red: 0xFF, green: 0xEE, blue: 0xCC))
        #expect(plan.appearance.textColor == .black)
        #expect(plan.appearance.fontSize == 11)
        #expect(plan.appearance.font == .helvetica)
        #expect(plan.template == SignatureTemplate("Digitally signed by $certificate.getCommonName()."))
        let names = CertificateNames(values: ["commonName": "Jane Doe"])
        #expect(plan.appearance(for: names, at: Date()).text == "Digitally signed by Jane Doe.")
    }

    @Test func eachLocationType() throws {
        #expect(
            try Self.plan(VisibleSignatureInfo(locationType: "SIGN_FIELD", locationValue: "Approval")).placement
                == .field(name: "Approval"))
        #expect(
            try Self.plan(
                VisibleSignatureInfo(
                    locationType: "placeholder", locationValue: " {{SIGN}} ", area: "width=90,height=30")
            ).placement == .placeholder(word: "{{SIGN}}", width: 90, height: 30))
        #expect(
            try Self.plan(VisibleSignatureInfo(locationType: "COORDINATE", locationValue: " Y=7, page = 2 ,x=3.5"))
                .placement == .coordinates(page: 2, x: 3.5, y: 7, width: 200, height: 50))
    }

    /// Without `area` (or with an empty one) the signature still has a size: never invisible.
    @Test func aMissingAreaIsTheDefaultArea() throws {
        for area in [nil, "", "  ", "height=80"] {
            let plan = try Self.plan(
                VisibleSignatureInfo(locationType: "COORDINATE", locationValue: "page=1,x=70,y=100", area: area))
            let height = area == "height=80" ? 80.0 : 50
            #expect(plan.placement == .coordinates(page: 1, x: 70, y: 100, width: 200, height: height))
        }
        #expect(try PAdESSigner.visibleSignature(nil) == nil)
    }

    @Test func fontsColoursAndTemplates() throws {
        let at = VisibleSignatureInfo(locationType: "COORDINATE", locationValue: "page=1,x=1,y=1")
        var info = at
        info.font = "size=8.5,color=C00000,name=Times New Roman Bold"
        info.areaBackgroundColor = "transparent"
        var plan = try Self.plan(info)
        #expect(plan.appearance.font == .timesBold && plan.appearance.fontSize == 8.5)
        #expect(plan.appearance.textColor == RGBColor(red: 0xC0, green: 0, blue: 0))
        #expect(plan.appearance.background == nil)
        #expect(plan.template == nil, "no templateType: the default text")
        for (name, font) in [
            ("arial", StandardFont.helvetica), ("Courier New", .courier), ("comic sans", .helvetica),
            ("sans-serif", .helvetica), ("Georgia", .timesRoman), ("Arial Bold", .helveticaBold),
        ] {
            info.font = "name=\(name)"
            #expect(try Self.plan(info).appearance.font == font, "\(name)")
        }
        info.font = "color=#000000,size=11,style=italic"
        #expect(try Self.plan(info).appearance.fontSize == 11, "unknown keys are ignored")

        info.templateType = "SERVICE_CUSTOMIZATION"
        plan = try Self.plan(info, serviceTemplate: "Approved by $certificate.getCommonName()")
        #expect(plan.template == SignatureTemplate("Approved by $certificate.getCommonName()"))
        plan = try Self.plan(info)
        #expect(plan.template == SignatureTemplate(VisibleSignatureParser.defaultServiceTemplate))
        #expect(PAdESSigner.usesServiceTemplate(info))
        info.templateType = "ONE_OFF"
        #expect(!PAdESSigner.usesServiceTemplate(info))
        #expect(Self.refusal(info)?.hasPrefix("oneOffTemplate:") == true)
    }

    @Test func everyBadValueNamesItsField() {
        let at = VisibleSignatureInfo(locationType: "COORDINATE", locationValue: "page=1,x=1,y=1")
        func with(_ change: (inout VisibleSignatureInfo) -> Void) -> VisibleSignatureInfo {
            var info = at
            change(&info)
            return info
        }
        let cases: [(VisibleSignatureInfo, String)] = [
            (VisibleSignatureInfo(locationValue: "page=1,x=1,y=1"), "locationType:"),
            (VisibleSignatureInfo(locationType: "INVISIBLE", locationValue: "x"), "locationType:"),
            (VisibleSignatureInfo(locationType: "COORDINATE"), "locationValue:"),
            (with { $0.locationValue = "page=1,x=1" }, "locationValue:"),
            (with { $0.locationValue = "page=1,x=1,y=1,x=2" }, "locationValue:"),
            (with { $0.locationValue = "page=1,x=1,y" }, "locationValue:"),
            (with { $0.locationValue = "page=2.5,x=1,y=1" }, "locationValue:"),
            (with { $0.locationValue = "page=1,x=14401,y=1" }, "locationValue:"),
            (with { $0.locationValue = "page=1,x=1,y=-0.5" }, "locationValue:"),
            (with { $0.locationValue = "page=1,x=nan,y=1" }, "locationValue:"),
            (with { $0.area = "width=0,height=50" }, "area: width"),
            (with { $0.area = "width=155,height=inf" }, "area: height"),
            (with { $0.area = "155x50" }, "area:"),
            (with { $0.area = "depth=3" }, "area:"),
            (with { $0.area = String(repeating: "width=1,", count: 40) }, "area:"),
            (with { $0.areaBackgroundColor = "red" }, "areaBackgroundColor:"),
            (with { $0.font = "size=0" }, "font:"),
            (with { $0.font = "size=145" }, "font:"),
            (with { $0.font = "color=#0000" }, "font:"),
            (with { $0.font = "name=" }, "font:"),
            (with { $0.templateType = "OTHER" }, "templateType:"),
            (with { $0.oneOffTemplate = String(repeating: "x", count: 2001) }, "oneOffTemplate:"),
            (with { $0.oneOffTemplate = "bell\u{7}" }, "oneOffTemplate:"),
            (with { $0.imageValue = "AAAA" }, "imageType:"),
            (with { $0.imageType = "IMAGE_JPG" }, "imageValue:"),
            (with { ($0.imageType, $0.imageValue) = ("IMAGE_GIF", "AAAA") }, "imageType:"),
            (with { ($0.imageType, $0.imageValue) = ("IMAGE_PNG", "not base64!") }, "imageValue:"),
            (with { ($0.imageType, $0.imageValue) = ("IMAGE_PNG", "R0lGODlhAQABAAAAACw=") }, "imageValue:"),
            (
                with { ($0.imageType, $0.imageValue) = ("IMAGE_PNG", Data(count: 3 << 20).base64EncodedString()) },
                "imageValue:"
            ),
            (with { ($0.locationType, $0.locationValue) = ("PLACEHOLDER", "two words") }, "locationValue:"),
            (with { ($0.locationType, $0.locationValue) = ("SIGN_FIELD", "a\u{0}b") }, "locationValue:"),
        ]
        for (info, field) in cases {
            let message = Self.refusal(info)
            #expect(message?.hasPrefix(field) == true, "\(info): \(message ?? "accepted")")
        }
        #expect(Self.refusal(with { $0.templateType = "SERVICE_CUSTOMIZATION" }, serviceTemplate: "a\u{1}") != nil)
    }

    @Test func templatesReadLikeVelocity() {
        let names = CertificateNames(values: [
            "commonName": "Jane Doe", "organization": "ACME", "serialNumber": "IDCES-12345678Z",
            "issuerCommonName": "ACME CA", "email": nil,
        ])
        let date = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21 14:13:20 UTC
        let cases: [(String, String)] = [
            ("Digitally signed by $certificate.getCommonName().", "Digitally signed by Jane Doe."),
            ("${certificate.getOrganization()}/$!certificate.getSerialNumber()", "ACME/IDCES-12345678Z"),
            ("$!{certificate.issuerCommonName} $certificate.commonName", "ACME CA Jane Doe"),
            ("[$certificate.getEmail()]", "[]"),
            ("$certificate.getUnknown() $customer.name $ 5 $", "$certificate.getUnknown() $customer.name $ 5 $"),
            ("$certificate.getCommonName", "$certificate.getCommonName"),
            ("${certificate.getCommonName()", "${certificate.getCommonName()"),
            ("on $date", "on 2026-09-21 14:13:20 UTC"),
            ("on $date.get('dd/MM/yyyy HH:mm') 'x'", "on 21/09/2026 14:13 'x'"),
            ("$date.get(\"yy-M-d 'at' H'h'\")", "26-9-21 at 14h"),
            ("line 1\nline 2", "line 1\nline 2"),
        ]
        for (source, expected) in cases {
            #expect(SignatureTemplate(source).text(certificate: names, date: date) == expected, "\(source)")
        }
        let long = SignatureTemplate(String(repeating: "$certificate.getCommonName()", count: 2000))
        #expect(long.text(certificate: names, date: date).unicodeScalars.count == SignatureAppearance.maxTextLength)
    }

    /// The names come from the certificate as openssl made it (and reads it).
    @Test func certificateNamesFromARealCertificate() throws {
        let ws = try Workspace()
        let identity = try TestIdentity(ws)
        let der = try #require(
            Data(
                base64Encoded: try identity.certificatePEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }
                    .joined()))
        let names = CertificateNames(certificate: [UInt8](der))
        #expect(names.value(named: "commonName") == "Signet Test Signer")
        #expect(names.value(named: "ORGANIZATION") == "Signet tests")
        #expect(names.value(named: "issuerCommonName") == "Signet Test Signer", "self-signed")
        #expect(names.value(named: "country") == "")
        #expect(names.value(named: "nonsense") == nil)
        let serial = try Shell.check("openssl", ["x509", "-noout", "-serial", "-in", identity.cert]).stdout
        let hex = serial.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        #expect(names.value(named: "certificateSerialNumber") == hex)
        #expect(names.value(named: "serialNumber") == hex, "no subject serialNumber: the certificate's")
        #expect(CertificateNames(certificate: [1, 2, 3]).value(named: "commonName") == "")
    }
}
