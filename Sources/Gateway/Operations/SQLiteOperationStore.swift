import Common
import Foundation
import GRDB

/// The operation table in an SQLite file (WAL, `synchronous=FULL`) through GRDB: every commit is
/// on disk when it returns. Writes run on GRDB's own serial queue, reads on a pool of readers
/// beside it (WAL), never on the cooperative pool. The schema is versioned by GRDB's migrator
/// from the first version (docs/durability.md).
final class SQLiteOperationStore: OperationStore {
    private let database: DatabasePool

    init(path: String) throws {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.label = "signet.operations"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1-operations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE operation (
                        id TEXT PRIMARY KEY NOT NULL,
                        clientID TEXT NOT NULL,
                        externalReference TEXT,
                        idempotencyKey TEXT,
                        description TEXT,
                        fingerprint TEXT NOT NULL,
                        creationDate DOUBLE NOT NULL,
                        finishedDate DOUBLE,
                        retirement TEXT,
                        retiredDate DOUBLE
                    );
                    CREATE INDEX operation_retired ON operation(retirement, retiredDate);
                    CREATE TABLE document (
                        operationID TEXT NOT NULL REFERENCES operation(id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        externalReference TEXT,
                        name TEXT NOT NULL,
                        contentType TEXT NOT NULL,
                        signature BLOB NOT NULL,
                        contentDigest TEXT NOT NULL,
                        contentLength INTEGER,
                        status TEXT NOT NULL,
                        signError TEXT,
                        errorMessage TEXT,
                        attempts INTEGER,
                        PRIMARY KEY (operationID, position)
                    ) WITHOUT ROWID;
                    """)
        }
        // A signed result is kept in its row (docs/durability.md): what it adds after the input
        // when it keeps the input as its prefix (PAdES), or the whole result (a CAdES .p7s).
        migrator.registerMigration("2-stored-results") { db in
            try db.execute(
                sql: """
                    ALTER TABLE document ADD COLUMN resultKeepsInput INTEGER;
                    ALTER TABLE document ADD COLUMN result BLOB;
                    """)
        }
        // One spool file per operation: each document's offset in it (NULL: the document's own
        // file, `<n>.in`, as older builds wrote it).
        migrator.registerMigration("3-content-offset") { db in
            try db.execute(sql: "ALTER TABLE document ADD COLUMN contentOffset INTEGER")
        }
        return migrator
    }

    func load() async throws -> (operations: [Operation], tombstones: [Tombstone]) {
        try await database.read { db in
            var operations: [String: Operation] = [:]
            var order: [String] = []
            var tombstones: [Tombstone] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM operation ORDER BY creationDate") {
                let id: String = row["id"]
                if let retirement = (row["retirement"] as String?).flatMap(Retirement.init(rawValue:)) {
                    tombstones.append(
                        Tombstone(
                            id: id, clientID: row["clientID"], externalReference: row["externalReference"],
                            idempotencyKey: row["idempotencyKey"], retirement: retirement,
                            date: Date(timeIntervalSince1970: row["retiredDate"] ?? 0)))
                    continue
                }
                order.append(id)
                operations[id] = Operation(
                    id: id, clientID: row["clientID"], externalReference: row["externalReference"],
                    idempotencyKey: row["idempotencyKey"], description: row["description"],
                    fingerprint: row["fingerprint"], creationDate: Date(timeIntervalSince1970: row["creationDate"]),
                    finishedDate: (row["finishedDate"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    documents: [])
            }
            let decoder = JSONDecoder()
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT operationID, externalReference, name, contentType, signature, contentDigest,
                        contentLength, contentOffset, status, signError, errorMessage, attempts
                        FROM document ORDER BY operationID, position
                    """)
            {
                let operationID: String = row["operationID"]
                guard operations[operationID] != nil else { continue }
                let signature: Data = row["signature"]
                operations[operationID]?.documents.append(
                    DocumentRecord(
                        externalReference: row["externalReference"], name: row["name"],
                        contentType: row["contentType"],
                        signature: try decoder.decode(SignatureParameters.self, from: signature),
                        contentDigest: row["contentDigest"], contentLength: row["contentLength"],
                        contentOffset: row["contentOffset"], status: SignStatus(rawValue: row["status"]) ?? .received,
                        signError: row["signError"],
                        errorMessage: row["errorMessage"], attempts: row["attempts"]))
            }
            return (order.compactMap { operations[$0] }, tombstones)
        }
    }

    func insert(_ operation: Operation) async throws {
        let encoder = JSONEncoder()
        let signatures = try operation.documents.map { try encoder.encode($0.signature) }
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO operation (id, clientID, externalReference, idempotencyKey, description,
                        fingerprint, creationDate, finishedDate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    operation.id, operation.clientID, operation.externalReference, operation.idempotencyKey,
                    operation.description, operation.fingerprint, operation.creationDate.timeIntervalSince1970,
                    operation.finishedDate?.timeIntervalSince1970,
                ])
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO document (operationID, position, externalReference, name, contentType, signature,
                        contentDigest, contentLength, contentOffset, status, signError, errorMessage, attempts)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for (position, document) in operation.documents.enumerated() {
                try statement.execute(arguments: [
                    operation.id, position, document.externalReference, document.name, document.contentType,
                    signatures[position], document.contentDigest, document.contentLength, document.contentOffset,
                    document.status.rawValue,
                    document.signError, document.errorMessage, document.attempts,
                ])
            }
        }
    }

    func record(_ outcomes: [RecordedOutcome], finished: [(id: String, date: Date)]) async throws {
        guard !outcomes.isEmpty || !finished.isEmpty else { return }
        let finished = finished.map { ($0.id, $0.date.timeIntervalSince1970) }
        try await database.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE document SET status = ?, signError = ?, errorMessage = ?, attempts = ?,
                        resultKeepsInput = ?, result = ?
                        WHERE operationID = ? AND position = ?
                    """)
            for recorded in outcomes {
                let (status, code, message): (SignStatus, String?, String?) =
                    switch recorded.outcome {
                    case .signed: (.signed, nil, nil)
                    case .failed(let code, let message): (.errorSigning, code, message)
                    }
                try statement.execute(arguments: [
                    status.rawValue, code, message, recorded.attempt, recorded.result?.keepsInput,
                    recorded.result.map { Data($0.tail) }, recorded.operationID, recorded.document,
                ])
            }
            let end = try db.cachedStatement(sql: "UPDATE operation SET finishedDate = ? WHERE id = ?")
            for (id, date) in finished {
                try end.execute(arguments: [date, id])
            }
        }
    }

    func result(operationID: String, document: Int) async throws -> StoredResult? {
        try await database.read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT resultKeepsInput, result FROM document WHERE operationID = ? AND position = ?",
                arguments: [operationID, document])
            guard let row, let tail = row["result"] as Data? else { return nil }
            return StoredResult(keepsInput: row["resultKeepsInput"] ?? false, tail: [UInt8](tail))
        }
    }

    func storedResultBytes() async throws -> [String: Int] {
        try await database.read { db in
            var bytes: [String: Int] = [:]
            // length() of a BLOB reads its size from the record header, not its content.
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT operationID, SUM(length(result)) AS bytes FROM document
                        WHERE result IS NOT NULL GROUP BY operationID
                    """)
            {
                bytes[row["operationID"]] = row["bytes"]
            }
            return bytes
        }
    }

    func retire(_ ids: [String], as retirement: Retirement, at date: Date) async throws {
        guard !ids.isEmpty else { return }
        try await database.write { db in
            let documents = try db.cachedStatement(sql: "DELETE FROM document WHERE operationID = ?")
            let operation = try db.cachedStatement(
                sql: "UPDATE operation SET retirement = ?, retiredDate = ?, description = NULL WHERE id = ?")
            for id in ids {
                try documents.execute(arguments: [id])
                try operation.execute(arguments: [retirement.rawValue, date.timeIntervalSince1970, id])
            }
        }
    }

    func forgetTombstones(retiredBefore date: Date) async throws {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM operation WHERE retirement IS NOT NULL AND retiredDate < ?",
                arguments: [date.timeIntervalSince1970])
        }
    }
}
