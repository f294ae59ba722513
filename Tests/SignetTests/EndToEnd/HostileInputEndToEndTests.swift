import Foundation
import TestSupport
import Testing

/// Hostile documents and hostile request values through the running gateway and its signers:
/// each fails alone with its own code, no signer process dies or bloats, and another client's
/// documents in the same run are all signed.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct HostileInputEndToEndTests {
    @Test func hostilePDFsFailAloneAndTheSignersStayUpAndSmall() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        let signers = Set(try await gateway.signerPIDs())
        do {
            let hostile = HostilePDF.all.map { ($0.name, $0.expectedCode, Data($0.make())) }
            let documents = hostile.map { name, _, content in
                Requests.Document(
                    name: name + ".pdf", contentType: "application/pdf", content: content, signatureType: "PAdES")
            }
            let attack = try await gateway.request(
                .POST, "/v1/operations", user: "alice",
                body: try Requests.operation(reference: "hostile", documents: documents))
            #expect(attack.status == 202, "\(attack.json)")
            let attackID = try #require(attack.json.operationID)
            // Another client's batch in the same run.
            let honest = Requests.mixedDocuments(count: 30, seed: 21)
            let bob = try await gateway.request(
                .POST, "/v1/operations", user: "bob",
                body: try Requests.operation(reference: "honest", documents: honest))
            let bobID = try #require(bob.json.operationID)

            // Values a client controls, out of range: answered, never a crash.
            for (position, area) in [
                ("page=1e300,x=72,y=100", [200.0, 50.0]), ("page=1,x=nan,y=100", [200, 50]),
                ("page=1,x=72,y=100", [1e300, 1e300]),
            ] {
                let body = try JSONSerialization.data(withJSONObject: [
                    "documents": [
                        [
                            "documentRequest": [
                                "name": "v.pdf",
                                "base64Content": Data(SamplePDF.page(showing: "v")).base64EncodedString(),
                            ],
                            "signatureInfo": [
                                "signatureType": "PAdES",
                                "visibleSignatureInfo": [
                                    "locationType": "COORDINATE", "locationValue": position,
                                    "area": "width=\(area[0]),height=\(area[1])",
                                ],
                            ],
                        ]
                    ]
                ])
                let answer = try await gateway.request(.POST, "/v1/operations", body: body)
                #expect([202, 400].contains(answer.status), "\(position): \(answer.status)")
            }
            for wait in ["inf", "1e20", "-1"] {
                let answer = try await gateway.request(
                    .POST, "/v1/operations",
                    body: try Requests.operation(reference: nil, documents: Array(honest.prefix(1))),
                    headers: [("Prefer", "wait=\(wait)")])
                #expect([200, 202].contains(answer.status), "Prefer: wait=\(wait): \(answer.status)")
            }

            let attacked = try await gateway.waitForCompletion(attackID)
            let results = try #require(attacked["documentList"] as? [[String: Any]])
            for (entry, (name, code, _)) in zip(results, hostile) {
                #expect(entry["signStatus"] as? String == "ERROR_SIGNING", "\(name): \(entry)")
                #expect(entry["signError"] as? String == code, "\(name): \(entry)")
                #expect(entry["attempts"] as? Int == 1, "\(name) was dispatched again: \(entry)")
            }
            let honestStatus = try await gateway.waitForCompletion(bobID, user: "bob")
            #expect(honestStatus["status"] as? String == "EXECUTED")
            let result = try await gateway.request(.GET, "/v1/operations/\(bobID)/result", user: "bob")
            let list = try #require(result.json["documentList"] as? [[String: Any]])
            try await gateway.expectSignedByTheDevelopmentIdentity(list, honest)

            // The same signer processes, none grown past 512 MB at its peak.
            #expect(Set(try await gateway.signerPIDs()) == signers, "a signer was restarted")
            for pid in signers {
                let peak = try Self.peakResidentBytes(pid)
                print("signer \(pid) peak RSS \(peak / 1_048_576) MiB")
                #expect(peak < 512 << 20, "signer \(pid) peaked at \(peak / 1_048_576) MiB")
            }
        } catch {
            Issue.record("\(error)\n\(tail(gateway.log()))")
        }
        try await gateway.stop()
    }

    /// 3,000 mutations of the fuzzing seeds (bit flips, truncations, objects spliced in from
    /// another seed), signed PAdES through the service: every document ends final, no signer
    /// restarts, and a good document is still signed afterwards.
    @Test func thousandsOfMutatedPDFsEndFinalAndTheServiceKeepsSigning() async throws {
        let gateway = try GatewayProcess(localSigners: 2)
        try await gateway.waitUntilReady(signers: 2)
        let signers = Set(try await gateway.signerPIDs())
        do {
            let seedsFolder = Shell.packageRoot.appendingPathComponent("Fuzz/seeds")
            let seeds = try FileManager.default.contentsOfDirectory(atPath: seedsFolder.path).sorted().map {
                [UInt8](try Data(contentsOf: seedsFolder.appendingPathComponent($0)))
            }
            try #require(seeds.count >= 10)
            var random = SeededRandom(seed: 2026)
            var mutated: [Requests.Document] = []
            for index in 0..<3000 {
                let bytes = Self.mutate(seeds[index % seeds.count], splicing: seeds, with: &random)
                mutated.append(
                    .init(
                        name: "m\(index).pdf", contentType: "application/pdf", content: Data(bytes),
                        signatureType: "PAdES"))
            }
            var counts: [String: Int] = [:]
            for batch in stride(from: 0, to: mutated.count, by: 1000) {
                let documents = Array(mutated[batch..<min(batch + 1000, mutated.count)])
                let started = try await gateway.request(
                    .POST, "/v1/operations", body: try Requests.operation(reference: nil, documents: documents))
                let id = try #require(started.json.operationID, "\(started.json)")
                let status = try await gateway.waitForCompletion(id, timeout: .seconds(240))
                let list = try #require(status["documentList"] as? [[String: Any]])
                #expect(list.count == documents.count)
                for entry in list {
                    let outcome = entry["signStatus"] as? String ?? "?"
                    #expect(outcome == "SIGNED" || outcome == "ERROR_SIGNING", "\(entry)")
                    counts[outcome == "SIGNED" ? "SIGNED" : entry["signError"] as? String ?? "?", default: 0] += 1
                    #expect(
                        !["SIGNER_LOST", "SIGNER_CRASHED", "SIGNING_FAILED"].contains(entry["signError"] as? String))
                }
            }
            print("3,000 mutated PDFs: \(counts.sorted { $0.key < $1.key })")
            #expect(Set(try await gateway.signerPIDs()) == signers, "a signer was restarted")

            // Still signing: a good document afterwards, validated by pyHanko.
            let good = Data(SamplePDF.page(showing: "after the storm"))
            let answer = try await gateway.request(
                .POST, "/v1/operations",
                body: try Requests.operation(
                    reference: nil,
                    documents: [
                        .init(name: "good.pdf", contentType: "application/pdf", content: good, signatureType: "PAdES")
                    ]
                ), headers: [("Prefer", "wait=30")])
            let entry = try #require((answer.json["documentList"] as? [[String: Any]])?.first)
            #expect(entry["signStatus"] as? String == "SIGNED", "\(entry)")
            let id = try #require(answer.json.operationID)
            let signed = try await gateway.request(.GET, "/v1/operations/\(id)/documents/0")
            let ws = try Workspace("storm")
            try signed.body.write(to: ws.url("good.pdf"))
            let validation = try PyHanko.validate(ws.path("good.pdf"), trust: [gateway.developmentCertificate.path])
            #expect(validation.isValid(signatures: 1), "\(validation.output)")
        } catch {
            Issue.record("\(error)\n\(tail(gateway.log()))")
        }
        try await gateway.stop()
    }

    /// One mutation: a few bit flips, a truncation, or an object of another seed spliced in.
    static func mutate(_ seed: [UInt8], splicing seeds: [[UInt8]], with random: inout SeededRandom) -> [UInt8] {
        var bytes = seed
        switch random.next(below: 4) {
        case 0:
            for _ in 0..<(1 + random.next(below: 8)) {
                let at = random.next(below: bytes.count)
                bytes[at] ^= UInt8(1 << random.next(below: 8))
            }
        case 1:
            bytes = Array(bytes.prefix(1 + random.next(below: bytes.count - 1)))
        case 2:
            let donor = seeds[random.next(below: seeds.count)]
            let start = random.next(below: donor.count)
            let chunk = donor[start..<min(donor.count, start + 1 + random.next(below: 400))]
            bytes.insert(contentsOf: chunk, at: random.next(below: bytes.count))
        default:
            // Overwrite a run with digits: offsets, lengths and counts go wrong.
            let at = random.next(below: bytes.count)
            for i in at..<min(bytes.count, at + 1 + random.next(below: 12)) {
                bytes[i] = UInt8(ascii: "0") + UInt8(random.next(below: 10))
            }
        }
        return bytes
    }

    /// The peak resident set of a process (`VmHWM` in /proc/PID/status), in bytes.
    static func peakResidentBytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw TestFailure("no VmHWM for \(pid)") }
        return kilobytes * 1024
    }
}
