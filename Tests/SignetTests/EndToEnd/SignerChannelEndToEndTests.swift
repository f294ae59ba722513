import Common
import Foundation
import Signing
import TestSupport
import Testing

/// The signer endpoint of the running gateway, attacked from this process: peers without an
/// authorized CURVE key never receive a job, and a peer that does not hold a job's lease cannot
/// make the gateway record a result for it.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SignerChannelEndToEndTests {
    /// The gateway's own signers connect over a Unix socket in the state folder, without CURVE:
    /// the folder (mode 0700) is the lock, and no local signer key is made. A signer of this user
    /// gets in over the socket; the same signer run as another user (`nobody`) never does.
    @Test func theLocalSignersSocketAdmitsThisUserOnly() async throws {
        let gateway = try GatewayProcess(localSigners: 1)
        try await gateway.waitUntilReady(signers: 1)
        do {
            let state = gateway.stateDirectory
            let socket = state.appendingPathComponent("signers.ipc").path
            var info = stat()
            #expect(lstat(socket, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK)
            #expect(
                !FileManager.default.fileExists(atPath: state.appendingPathComponent("local-signer-curve.key").path))
            #expect(try FileManager.default.attributesOfItem(atPath: state.path)[.posixPermissions] as? Int == 0o700)
            // The development identity, copied where `nobody` can read it: its signer must run
            // and knock, not stop at start for want of a key.
            let nobody: UInt32 = 65534
            let folder = gateway.workspace.url("nobody")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let key = folder.appendingPathComponent("key.pem")
            let certificate = folder.appendingPathComponent("cert.pem")
            try FileManager.default.copyItem(at: gateway.developmentKey, to: key)
            try FileManager.default.copyItem(at: gateway.developmentCertificate, to: certificate)
            #expect(chown(key.path, nobody, gid_t(nobody)) == 0 && chmod(key.path, 0o600) == 0)
            #expect(chmod(folder.path, 0o755) == 0 && chmod(certificate.path, 0o644) == 0)
            let arguments = [
                "--gateway", "ipc://" + socket, "--signing-cert", certificate.path, "--log-level", "debug",
            ]
            let stranger = try ServiceProcess(
                "signet-signer", arguments + ["--signing-key", key.path],
                log: gateway.workspace.url("signer-nobody.log"), user: nobody)
            let ours = try ServiceProcess(
                "signet-signer", arguments + ["--signing-key", gateway.developmentKey.path],
                log: gateway.workspace.url("signer-ours.log"))
            try await gateway.waitUntilReady(signers: 2)
            try await Task.sleep(for: .seconds(3))
            #expect(stranger.isRunning, "\(stranger.log())")
            let listed = try await gateway.signers().compactMap { $0["pid"] as? Int }
            #expect(listed.count == 2 && listed.contains(Int(ours.pid)) && !listed.contains(Int(stranger.pid)))
            for signer in [stranger, ours] {
                #expect(try await signer.stop().isCleanExit, "\(signer.log())")
            }
        } catch {
            Issue.record("\(error)\n\(tail(gateway.log()))")
        }
        try await gateway.stop()
    }

    @Test func peersWithoutAnAuthorizedKeyReceiveNoJob() async throws {
        let gateway = try GatewayProcess(localSigners: 0)
        try await gateway.waitUntilLive()
        do {
            let documents = Requests.mixedDocuments(count: 3, seed: 11)
            let started = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: nil, documents: documents))
            let id = try #require(started.json.operationID)
            let endpoint = "tcp://127.0.0.1:\(gateway.signerPort)"
            let serverKey = try gateway.signerPublicKey()
            #expect(CurveKeyPair.decode(serverKey) != nil)

            // No CURVE at all, then a CURVE key nobody authorized: READY, retried, and nothing comes back.
            let plain = try await FakeSigner(endpoint: endpoint, id: "plain", serverKey: serverKey, keys: nil)
            let stranger = try CurveKeyPair.generate()
            let unknown = try await FakeSigner(endpoint: endpoint, id: "unknown", serverKey: serverKey, keys: stranger)
            for _ in 0..<5 {
                for peer in [plain, unknown] {
                    peer.send(.ready(.init(signerID: peer.id, credit: 10, pid: 1, host: "attacker")))
                }
                try await Task.sleep(for: .milliseconds(300))
            }
            for peer in [plain, unknown] {
                await #expect(throws: TimeoutError.self, "\(peer.id) received a JOB") {
                    _ = try await peer.nextJob(timeout: .seconds(2))
                }
            }
            #expect(try await gateway.request(.GET, "/health/ready", user: nil).json["signers"] as? Int == 0)
            // The unknown key's refusal is logged once, not at every reconnect.
            let refusals = gateway.log().components(separatedBy: "unauthorized signer key refused").count - 1
            #expect(refusals >= 1)
            let strangerLines = gateway.log().split(separator: "\n").filter {
                $0.contains("unauthorized signer key refused") && $0.contains(stranger.publicKey)
            }
            #expect(strangerLines.count == 1, "\(strangerLines)")
            await plain.close()
            await unknown.close()

            // The same peer, once its key is authorized, gets the work.
            try gateway.authorizeSigner(publicKey: stranger.publicKey, name: "now-trusted")
            let trusted = try await FakeSigner(endpoint: endpoint, id: "trusted", serverKey: serverKey, keys: stranger)
            trusted.send(.ready(.init(signerID: trusted.id, credit: 1, pid: 1, host: "operator")))
            let job = try await trusted.nextJob(timeout: .seconds(15))
            #expect(job.operationID == id)
            await trusted.close()
        } catch {
            Issue.record("\(error)\n\(tail(gateway.log()))")
        }
        try await gateway.stop()
    }

    /// An authorized peer that does not hold the lease sends a well-formed RESULT (right
    /// operation, document, attempt and digest) with forged bytes: it is not recorded; the
    /// document is signed later by a real signer and its signature verifies.
    @Test func aResultFromAPeerWithoutTheLeaseIsNotRecorded() async throws {
        let gateway = try GatewayProcess(localSigners: 0)
        try await gateway.waitUntilLive()
        var real: ServiceProcess?
        do {
            let document = Requests.Document(
                name: "target.xml", contentType: "application/xml", content: Data("<Invoice>1</Invoice>".utf8))
            let started = try await gateway.request(
                .POST, "/v1/operations", body: try Requests.operation(reference: nil, documents: [document]))
            let id = try #require(started.json.operationID)
            let endpoint = "tcp://127.0.0.1:\(gateway.signerPort)"
            let serverKey = try gateway.signerPublicKey()
            let keys = try CurveKeyPair.generate()
            try gateway.authorizeSigner(publicKey: keys.publicKey, name: "holder-and-forger")

            // The holder takes the job and keeps it; the forger answers for it.
            let holder = try await FakeSigner(endpoint: endpoint, id: "holder", serverKey: serverKey, keys: keys)
            holder.send(.ready(.init(signerID: holder.id, credit: 1, pid: 1, host: "h")))
            let job = try await holder.nextJob(timeout: .seconds(15))
            let forger = try await FakeSigner(endpoint: endpoint, id: "forger", serverKey: serverKey, keys: keys)
            forger.send(.ready(.init(signerID: forger.id, credit: 0, pid: 2, host: "f")))
            let jobHeader = WireMessage.Job(
                id: job.id, contentDigest: sha256Hex([UInt8](document.content)), name: job.name,
                contentType: job.contentType, signature: job.signature)
            forger.send(.result(.init(job: jobHeader, signed: true), body: Array("forged".utf8)))
            let ack = try await forger.nextMessage(timeout: .seconds(10)) { if case .ack = $0 { true } else { false } }
            #expect(ack == .ack(job.id))
            let status = try await gateway.request(.GET, "/v1/operations/\(id)").json
            #expect((status["documentList"] as? [[String: Any]])?.first?["signStatus"] as? String == "RECEIVED")

            // The holder leaves; a real signer signs the document, and only its signature is served.
            holder.send(.disconnect(reason: "bye"))
            await holder.close()
            await forger.close()
            real = try await gateway.externalSigner(name: "real", slots: 1)
            let finished = try await gateway.waitForCompletion(id)
            #expect(finished["status"] as? String == "EXECUTED", "\(finished)\n\(tail(gateway.log()))")
            let raw = try await gateway.request(.GET, "/v1/operations/\(id)/documents/0")
            #expect(raw.body != Data("forged".utf8))
            let verified = try await Tools.opensslVerifyDetached(
                signature: raw.body, content: document.content, trusting: gateway.developmentCertificate)
            #expect(verified.status == 0, "\(verified.stderr)")
            let termination = try await real?.stop(timeout: .seconds(20))
            #expect(termination?.isCleanExit == true)
            try real?.checkLogIsClean()
        } catch {
            Issue.record("\(error)\n\(tail(gateway.log()))")
        }
        if let real, real.isRunning { kill(real.pid, SIGKILL) }
        try await gateway.stop()
    }
}
