import Crypto
import Foundation
import Logging
import TestSupport
import Testing

@testable import Gateway

/// The operation table over a real SQLite file and spool folder: what is admitted, recorded,
/// deleted or purged is what a new process finds when it opens the same state folder.
@Suite(.timeLimit(.minutes(2)))
struct OperationRegistryTests {
    let workspace: Workspace

    init() throws {
        workspace = try Workspace("registry")
    }

    func open(_ adjust: (inout OperationRegistry.Configuration) -> Void = { _ in }) throws -> OperationRegistry {
        var configuration = OperationRegistry.Configuration()
        adjust(&configuration)
        var logger = Logger(label: "test.registry")
        logger.logLevel = .warning
        return OperationRegistry(
            configuration: configuration, store: try SQLiteOperationStore(path: workspace.path("operations.sqlite")),
            spool: try Spool(root: workspace.path("spool")), logger: logger)
    }

    /// Receives `contents` into the spool as the HTTP layer does, and admits them.
    func admit(
        _ registry: OperationRegistry, id: String, client: String = "alice", key: String? = nil,
        contents: [[UInt8]]
    ) async throws -> OperationTable.Admission {
        let incoming = try registry.spool.makeIncoming()
        let sinks = SinkSet(folder: incoming, maxDocuments: 100)
        for (index, content) in contents.enumerated() {
            try content.withUnsafeBytes { try sinks.open(index).write($0) }
        }
        let received = sinks.finish(signatureTypes: [])  // the files stay, whatever the records say
        let operation = Operation(
            id: id, clientID: client, externalReference: "ref-\(id)", idempotencyKey: key, description: nil,
            fingerprint: received.values.map(\.digest).sorted().joined(), creationDate: Date(), finishedDate: nil,
            documents: contents.indices.map { index in
                DocumentRecord(
                    name: "d\(index)", contentType: "application/octet-stream",
                    signature: .init(
                        signatureType: "CAdES", reason: nil, location: nil, applyTimestamp: false,
                        visibleSignature: nil),
                    contentDigest: received[index]?.digest ?? "", contentLength: received[index]?.length,
                    contentOffset: received[index]?.offset)
            })
        return try await registry.admit(operation, incoming: incoming)
    }

    /// Document `index`'s bytes as the spool holds them.
    func content(_ registry: OperationRegistry, _ id: String, _ index: Int) async throws -> [UInt8] {
        let operation = try #require(await registry.operation(id: id))
        return try Spool.read(registry.spool.content(id, index, operation.documents[index]))
    }

    func signed(_ id: String, _ document: Int, _ bytes: [UInt8]) -> RecordedOutcome {
        .init(
            operationID: id, document: document, outcome: .signed, attempt: 1,
            result: StoredResult(keepsInput: false, tail: bytes))
    }

    @Test func whatWasAdmittedAndRecordedIsThereAfterReopening() async throws {
        let registry = try open()
        _ = try await registry.recover()
        guard case .created = try await admit(registry, id: "op1", key: "k1", contents: [[1, 2, 3], [4, 5]]) else {
            Issue.record("not created")
            return
        }
        #expect(try await content(registry, "op1", 1) == [4, 5])
        try await registry.record([signed("op1", 0, [9, 9])])

        let reopened = try open()
        let recovery = try await reopened.recover()
        #expect(recovery == .init(operations: 1, unfinished: 1, pendingDocuments: 1, tombstones: 0, orphanFolders: 0))
        #expect(await reopened.pendingJobs().map(\.document) == [1])
        guard case .live(let operation) = await reopened.lookup(id: "op1", clientID: "alice") else {
            Issue.record("op1 is not live after reopening")
            return
        }
        #expect(operation.documents.map(\.status) == [.signed, .received])
        #expect(operation.documents[1].contentLength == 2)
        #expect(try await reopened.result(operationID: "op1", document: 0) == .init(keepsInput: false, tail: [9, 9]))
        #expect(await reopened.lookup(id: "op1", clientID: "bob") == .unknown)
        // The same request with the same key is the same operation, across the restart.
        guard
            case .existing(let existing) = try await admit(
                reopened, id: "op2", key: "k1", contents: [[1, 2, 3], [4, 5]])
        else {
            Issue.record("a retried request made a new operation")
            return
        }
        #expect(existing.id == "op1")
        // A result for a final document, or an unknown operation, changes nothing.
        try await reopened.record([
            signed("op1", 0, [7]), signed("nope", 0, [7]),
            .init(operationID: "op1", document: 1, outcome: .failed(code: "X", message: nil), attempt: 2),
        ])
        guard case .live(let done) = await reopened.lookup(id: "op1", clientID: "alice") else { return }
        #expect(done.isFinished && done.documents.map(\.status) == [.signed, .errorSigning])
        #expect(try await reopened.result(operationID: "op1", document: 0) == .init(keepsInput: false, tail: [9, 9]))
        let third = try open()
        _ = try await third.recover()
        guard case .live(let persisted) = await third.lookup(id: "op1", clientID: "alice") else {
            Issue.record("op1 is gone")
            return
        }
        #expect(persisted.documents == done.documents && persisted.isFinished)
    }

    /// An operation stored by a build that kept a file per document (`<n>.in`, rows without an
    /// offset) is read from those files, also after a restart.
    @Test func documentsKeptAsFilesByOlderBuildsAreStillRead() async throws {
        let registry = try open()
        _ = try await registry.recover()
        let incoming = try registry.spool.makeIncoming()
        try Data([7, 7]).write(to: URL(fileURLWithPath: incoming.path + "/0.in"))
        try Data([8]).write(to: URL(fileURLWithPath: incoming.path + "/1.in"))
        let operation = Operation(
            id: "legacy", clientID: "alice", externalReference: nil, idempotencyKey: nil, description: nil,
            fingerprint: "f", creationDate: Date(), finishedDate: nil,
            documents: [[7, 7], [8]].map { bytes in
                DocumentRecord(
                    name: "d", contentType: "application/pdf", signature: .init(signatureType: "PAdES"),
                    contentDigest: SHA256.hash(data: bytes).hexString, contentLength: bytes.count)
            })
        guard case .created = try await registry.admit(operation, incoming: incoming) else {
            Issue.record("not created")
            return
        }
        #expect(try await content(registry, "legacy", 0) == [7, 7])
        let reopened = try open()
        _ = try await reopened.recover()
        #expect(try await content(reopened, "legacy", 1) == [8])
        let range = try #require(await reopened.operation(id: "legacy")).documents.map {
            reopened.spool.content("legacy", 1, $0)
        }[1]
        #expect(range == SpoolRange(path: workspace.path("spool/legacy/1.in"), offset: 0, length: nil))
    }

    @Test func halfReceivedRequestsAndUnnamedFoldersAreRemovedAtStart() async throws {
        let registry = try open()
        _ = try await registry.recover()
        let incoming = try registry.spool.makeIncoming()
        try Data([1]).write(to: URL(fileURLWithPath: incoming.path + "/0.in"))
        try FileManager.default.createDirectory(
            atPath: workspace.path("spool/ghost"), withIntermediateDirectories: true)
        let reopened = try open()
        let recovery = try await reopened.recover()
        #expect(recovery.orphanFolders == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.path("spool/incoming")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace.path("spool/ghost")))
    }

    @Test func deletedAndExpiredOperationsAnswerGoneAcrossRestarts() async throws {
        let registry = try open { $0.resultTTL = .seconds(60) }
        _ = try await registry.recover()
        _ = try await admit(registry, id: "old", contents: [[1]])
        _ = try await admit(registry, id: "new", contents: [[2]])
        _ = try await admit(registry, id: "open", contents: [[4]])
        _ = try await admit(registry, id: "gone", contents: [[3]])
        try await registry.record([signed("old", 0, [1]), signed("new", 0, [2])])
        // Finished operations are purged once their results are older than the time to live.
        #expect(try await registry.purge(now: Date().addingTimeInterval(30)) == 0)
        #expect(try await registry.purge(now: Date().addingTimeInterval(61)) == 2)
        #expect(!FileManager.default.fileExists(atPath: registry.spool.folder("old")))
        // Deleted (after the purge: a tombstone lasts one time to live from its retirement).
        #expect(try await registry.delete(id: "gone", clientID: "bob") == .unknown)
        guard case .live = try await registry.delete(id: "gone", clientID: "alice") else {
            Issue.record("delete did not find the operation")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: registry.spool.folder("gone")))
        // An unfinished operation is never purged.
        guard case .live = await registry.lookup(id: "open", clientID: "alice") else {
            Issue.record("an unfinished operation was purged")
            return
        }

        let reopened = try open { $0.resultTTL = .seconds(60) }
        _ = try await reopened.recover()
        guard case .retired(let expired) = await reopened.lookup(id: "old", clientID: "alice"),
            case .retired(let deleted) = await reopened.lookup(id: "gone", clientID: "alice")
        else {
            Issue.record(
                "retired operations are not remembered: \(await reopened.lookup(id: "old", clientID: "alice")), \(await reopened.lookup(id: "gone", clientID: "alice"))"
            )
            return
        }
        #expect(expired.retirement == .expired && deleted.retirement == .deleted)
        #expect(await reopened.lookup(id: "old", clientID: "bob") == .unknown)
        // Tombstones go after another time to live: then the ids are unknown.
        try await reopened.purge(now: Date().addingTimeInterval(200))
        #expect(await reopened.lookup(id: "old", clientID: "alice") == .unknown)
        #expect(await reopened.lookup(id: "gone", clientID: "alice") == .unknown)
        let third = try open { $0.resultTTL = .seconds(60) }
        _ = try await third.recover()
        #expect(await third.lookup(id: "old", clientID: "alice") == .unknown)
    }

    @Test func admissionIsRefusedAboveTheLimitsAndNothingIsKept() async throws {
        let registry = try open {
            $0.maxQueuedDocuments = 3
            $0.maxRunningOperationsPerClient = 1
        }
        _ = try await registry.recover()
        try await registry.reserve(clientID: "alice")
        await #expect(throws: OperationRegistry.Refusal.tooManyRunning(running: 1, limit: 1)) {
            try await registry.reserve(clientID: "alice")
        }
        _ = try await admit(registry, id: "a", contents: [[1], [2]])
        await registry.release(clientID: "alice")
        // Alice has one operation running: still refused; Bob may, but not beyond the queue.
        await #expect(throws: OperationRegistry.Refusal.tooManyRunning(running: 1, limit: 1)) {
            try await registry.reserve(clientID: "alice")
        }
        try await registry.reserve(clientID: "bob")
        await #expect(throws: OperationRegistry.Refusal.queueFull(queued: 2, limit: 3)) {
            _ = try await admit(registry, id: "b", client: "bob", contents: [[3], [4]])
        }
        await registry.release(clientID: "bob")
        #expect(await registry.lookup(id: "b", clientID: "bob") == .unknown)
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.path("spool/incoming")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: registry.spool.folder("b")))
        try await registry.record([signed("a", 0, [1]), signed("a", 1, [2])])
        try await registry.reserve(clientID: "alice")
    }

    /// Documents go to the signers before the operation's rows commit: a result that comes back
    /// meanwhile waits for the commit and is then recorded; when the commit fails the jobs are
    /// retired, the result is dropped and nothing of the operation stays.
    @Test func signingStartsBeforeTheCommitAndItsResultsWaitForIt() async throws {
        let sqlite = try SQLiteOperationStore(path: workspace.path("operations.sqlite"))
        let store = GatedStore(sqlite)
        var logger = Logger(label: "test.registry")
        logger.logLevel = .warning
        let registry = OperationRegistry(
            configuration: .init(), store: store, spool: try Spool(root: workspace.path("spool")), logger: logger)
        _ = try await registry.recover()
        var events = registry.events.makeAsyncIterator()

        let admission = Task { try await admit(registry, id: "early", contents: [[1, 2], [3]]) }
        guard case .admitted(let jobs) = await events.next() else {
            Issue.record("no admitted event before the commit")
            return
        }
        #expect(jobs.map(\.document) == [0, 1])
        #expect(try await content(registry, "early", 1) == [3])
        // Not committed yet: unknown to clients, and a result waits.
        #expect(await registry.lookup(id: "early", clientID: "alice") == .unknown)
        let recording = Task { try await registry.record([signed("early", 0, [7])]) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await sqlite.result(operationID: "early", document: 0) == nil)
        await store.open()
        guard case .created = try await admission.value else {
            Issue.record("not created")
            return
        }
        try await recording.value
        #expect(try await sqlite.result(operationID: "early", document: 0) == .init(keepsInput: false, tail: [7]))

        await store.fail()
        let failing = Task { try await admit(registry, id: "lost", contents: [[4]]) }
        guard case .admitted = await events.next() else {
            Issue.record("no admitted event")
            return
        }
        let dropped = Task { try await registry.record([signed("lost", 0, [8])]) }
        await store.open()
        await #expect(throws: GatedStore.Failure.self) { _ = try await failing.value }
        guard case .retired("lost") = await events.next() else {
            Issue.record("the failed operation's jobs were not retired")
            return
        }
        try await dropped.value
        #expect(await registry.lookup(id: "lost", clientID: "alice") == .unknown)
        #expect(!FileManager.default.fileExists(atPath: registry.spool.folder("lost")))
        #expect(try await sqlite.result(operationID: "lost", document: 0) == nil)
    }
}

/// A store whose inserts wait until the test opens the gate, and fail when told to.
actor GatedStore: OperationStore {
    struct Failure: Error {}
    let inner: SQLiteOperationStore
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var isOpen = false
    private var failing = false

    init(_ inner: SQLiteOperationStore) { self.inner = inner }

    func open() {
        isOpen = true
        for waiter in waiting { waiter.resume() }
        waiting = []
    }

    func fail() {
        failing = true
        isOpen = false
    }

    func insert(_ operation: Gateway.Operation) async throws {
        if !isOpen { await withCheckedContinuation { waiting.append($0) } }
        if failing { throw Failure() }
        try await inner.insert(operation)
    }

    func load() async throws -> (operations: [Gateway.Operation], tombstones: [Tombstone]) { try await inner.load() }
    func record(_ outcomes: [RecordedOutcome], finished: [(id: String, date: Date)]) async throws {
        try await inner.record(outcomes, finished: finished)
    }
    func result(operationID: String, document: Int) async throws -> StoredResult? {
        try await inner.result(operationID: operationID, document: document)
    }
    func storedResultBytes() async throws -> [String: Int] { try await inner.storedResultBytes() }
    func retire(_ ids: [String], as retirement: Retirement, at date: Date) async throws {
        try await inner.retire(ids, as: retirement, at: date)
    }
    func forgetTombstones(retiredBefore date: Date) async throws {
        try await inner.forgetTombstones(retiredBefore: date)
    }
}
