import Common
import Foundation
import TestSupport
import Testing

/// A `202` means the operation will be done whatever happens: the gateway is SIGKILLed with
/// operations in every state and started again on the same state folder.
@Suite(.timeLimit(.minutes(4)))
struct DurabilityEndToEndTests {
    static func documents(_ tag: String, count: Int) -> [Requests.Document] {
        (0..<count).map { index in
            var bytes = Array("\(tag) document \(index)\n".utf8)
            bytes += (0..<512).map { _ in UInt8.random(in: 0...255) }
            return Requests.Document(
                name: "\(tag)-\(index).bin", contentType: "application/octet-stream", content: Data(bytes))
        }
    }

    struct Started {
        var id: String
        var body: Data
        var key: String
        var documents: [Requests.Document]
    }

    static func start(_ gateway: GatewayProcess, _ tag: String, count: Int) async throws -> Started {
        let documents = documents(tag, count: count)
        let body = try Requests.operation(reference: "ref-\(tag)", documents: documents)
        let key = "key-\(tag)"
        let response = try await gateway.request(
            .POST, "/v1/operations", body: body, headers: [("Idempotency-Key", key)])
        #expect(response.status == 202, "\(String(decoding: response.body, as: UTF8.self))")
        let id = try #require(response.json.operationID)
        return Started(id: id, body: body, key: key, documents: documents)
    }

    static func errorCode(_ gateway: GatewayProcess, _ id: String) async throws -> (UInt, String?) {
        let response = try await gateway.request(.GET, "/v1/operations/\(id)", user: "alice")
        return (response.status, response.json["errorCode"] as? String)
    }

    @Test func everyOperationAnswersAsBeforeAfterTheGatewayIsKilled() async throws {
        let first = try GatewayProcess(localSigners: 0, extraArguments: ["--result-ttl", "8"])
        do {
            try await killAndRestart(first)
        } catch {
            first.workspace.keep()
            throw TestFailure(
                "\(error)\nkept \(first.directory.path); gateway log:\n\(tail(first.log()))")
        }
    }

    func killAndRestart(_ first: GatewayProcess) async throws {
        try await first.waitUntilLive()
        // A real signer, as on another host, signs what must be finished before the kill.
        let signer = try await first.externalSigner(name: "before", slots: 4)
        try await first.waitUntilReady(signers: 1)

        let expired = try await Self.start(first, "expired", count: 2)
        _ = try await first.waitForCompletion(expired.id)
        try await first.waitUntil("operation \(expired.id) expires", timeout: .seconds(40)) {
            try await Self.errorCode(first, expired.id) == (410, "OPERATION_EXPIRED")
        }
        let finished = try await Self.start(first, "finished", count: 3)
        _ = try await first.waitForCompletion(finished.id)
        let finishedResult = try await first.request(.GET, "/v1/operations/\(finished.id)/result", user: "alice")
        #expect(finishedResult.status == 200)
        let deleted = try await Self.start(first, "deleted", count: 2)
        _ = try await first.waitForCompletion(deleted.id)
        #expect(try await first.request(.DELETE, "/v1/operations/\(deleted.id)", user: "bob").status == 404)
        #expect(try await first.request(.DELETE, "/v1/operations/\(deleted.id)", user: "alice").status == 204)
        #expect(try await Self.errorCode(first, deleted.id) == (410, "OPERATION_DELETED"))
        #expect(try await first.request(.DELETE, "/v1/operations/\(deleted.id)", user: "alice").status == 410)
        #expect(try await signer.stop().isCleanExit)

        // Running: a real signer takes two jobs and is frozen (SIGSTOP) before it can answer.
        // Pending: no signer has room for the next operation.
        let holder = try await first.externalSigner(name: "holder", slots: 2)
        try await first.waitUntil("the holder registers") {
            try await first.signers().contains { $0["pid"] as? Int == Int(holder.pid) }
        }
        kill(holder.pid, SIGSTOP)
        let running = try await Self.start(first, "running", count: 3)
        try await first.waitForSigner(pid: holder.pid, holdingJobs: true)
        let pending = try await Self.start(first, "pending", count: 4)

        kill(first.service.pid, SIGKILL)
        kill(holder.pid, SIGKILL)
        _ = try await first.service.waitForExit(timeout: .seconds(10))
        _ = try await holder.waitForExit(timeout: .seconds(10))
        try first.service.checkLogIsClean()

        let second = try GatewayProcess(
            restarting: first, run: 2, localSigners: 1, extraArguments: ["--result-ttl", "3600"])
        try await second.waitUntilReady(signers: 1)
        // Retired operations answer as they did; the finished one gives the very same result.
        #expect(try await Self.errorCode(second, expired.id) == (410, "OPERATION_EXPIRED"))
        #expect(try await Self.errorCode(second, deleted.id) == (410, "OPERATION_DELETED"))
        let again = try await second.request(.GET, "/v1/operations/\(finished.id)/result", user: "alice")
        #expect(again.status == 200)
        #expect(again.json["documentList"] as? NSArray == finishedResult.json["documentList"] as? NSArray)
        try await second.expectSignedByTheDevelopmentIdentity(
            try #require(again.json["documentList"] as? [[String: Any]]), finished.documents)
        // The same request again, with its Idempotency-Key, is the same operation (not a new one).
        for started in [running, pending] {
            let retried = try await second.request(
                .POST, "/v1/operations", body: started.body, headers: [("Idempotency-Key", started.key)])
            #expect([200, 202].contains(retried.status))
            #expect(retried.json.operationID == started.id)
            let found = try await second.request(
                .GET, "/v1/operations?externalReference=ref-\(started.documents[0].name.split(separator: "-")[0])",
                user: "alice")
            #expect((found.jsonArray.map { $0.operationID }) == [started.id])
            #expect(try await second.request(.GET, "/v1/operations/\(started.id)", user: "bob").status == 404)
        }
        // Unfinished ones finish, every document signed once.
        for started in [running, pending] {
            let status = try await second.waitForCompletion(started.id)
            #expect(status["status"] as? String == "EXECUTED", "\(status)")
            let result = try await second.request(.GET, "/v1/operations/\(started.id)/result", user: "alice")
            try await second.expectSignedByTheDevelopmentIdentity(
                try #require(result.json["documentList"] as? [[String: Any]]), started.documents)
        }
        // Nothing of the retired operations is left in the spool.
        let spool = second.stateDirectory.appendingPathComponent("spool")
        let folders = try FileManager.default.contentsOfDirectory(atPath: spool.path)
        #expect(!folders.contains(expired.id) && !folders.contains(deleted.id))
        #expect(folders.contains(finished.id))
        try await second.stop()
    }
}
