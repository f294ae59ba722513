import Foundation
import TestSupport
import Testing

@testable import Gateway

/// client-services-config.json: secrets and each client service's own visible-signature text.
struct ClientServicesTests {
    @Test func aClientServiceMayHaveItsOwnVisibleSignatureTemplate() throws {
        let ws = try Workspace()
        try ws.write(
            "config.json",
            text: #"""
                {"acme": {"secret": "s1", "visibleSignatureTemplate": "Approved for ACME by $certificate.getCommonName()\nDate: $date"},
                 "other": {"secret": "s2"}}
                """#)
        let clients = try ClientServices.load(from: ws.path("config.json"))
        #expect(clients.clientIDs == ["acme", "other"])
        #expect(
            clients.visibleSignatureTemplate(for: "acme")
                == "Approved for ACME by $certificate.getCommonName()\nDate: $date")
        #expect(clients.visibleSignatureTemplate(for: "other") == nil)
        #expect(clients.visibleSignatureTemplate(for: "unknown") == nil)
        #expect(clients.verify(clientID: "acme", secret: "s1"))
    }

    /// A template a request could not use stops the gateway at start, naming the client service.
    @Test func aBadTemplateIsReportedAtStart() throws {
        let ws = try Workspace()
        for template in [String(repeating: "x", count: 2001), "bell\u{7}"] {
            let config = ["acme": ["secret": "s1", "visibleSignatureTemplate": template]]
            try JSONSerialization.data(withJSONObject: config).write(to: ws.url("config.json"))
            do {
                _ = try ClientServices.load(from: ws.path("config.json"))
                Issue.record("accepted \(template.prefix(10))")
            } catch {
                #expect("\(error)".contains("client service acme"), "\(error)")
                #expect("\(error)".contains("visibleSignatureTemplate"), "\(error)")
            }
        }
    }
}
