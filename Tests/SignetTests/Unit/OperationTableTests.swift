import Common
import Foundation
import Testing

@testable import Gateway

@Suite(.timeLimit(.minutes(2)))
struct OperationTableTests {
    func operation(
        _ id: String, client: String = "alice", reference: String? = "ref", fingerprint: String = "f1",
        documents: Int = 2
    ) -> Gateway.Operation {
        Gateway.Operation(
            id: id, clientID: client, externalReference: reference, idempotencyKey: nil, description: nil,
            fingerprint: fingerprint, creationDate: Date(timeIntervalSince1970: 0), finishedDate: nil,
            documents: (0..<documents).map { _ in
                DocumentRecord(
                    name: "d", contentType: "t", signature: .init(signatureType: "CAdES"), contentDigest: "x")
            })
    }

    @Test func admissionByExternalReference() {
        var table = OperationTable()
        let first = operation("1")
        #expect(table.admit(first) == .created(first))
        #expect(table.admit(operation("2")) == .existing(first))
        #expect(table.admit(operation("3", fingerprint: "f2")) == .conflict(existingID: "1"))
        let bobs = operation("4", client: "bob", fingerprint: "f2")
        #expect(table.admit(bobs) == .created(bobs))
        let noReference = operation("5", reference: nil)
        #expect(table.admit(noReference) == .created(noReference))
    }

    @Test func clientsSeeOnlyTheirOwnOperations() {
        var table = OperationTable()
        _ = table.admit(operation("1"))
        #expect(table.operation(id: "1", clientID: "alice") != nil)
        #expect(table.operation(id: "1", clientID: "bob") == nil)
        #expect(table.operations(clientID: "bob", externalReference: "ref").isEmpty)
        #expect(table.operations(clientID: "alice", externalReference: "ref").map(\.id) == ["1"])
    }

    /// Completion is counted, not scanned: 2,500 documents finish exactly at the last outcome,
    /// in any order, repeats included; a recovered operation counts only what is still waiting.
    @Test func completionIsCountedPerResult() {
        var table = OperationTable()
        _ = table.admit(operation("big", documents: 2500))
        let order = (0..<2500).map { ($0 * 7919) % 2500 }
        for (step, document) in order.enumerated() {
            let recording = table.record(.signed, operationID: "big", document: document, attempt: 1, at: Date())
            #expect(recording == .recorded(operationFinished: step == 2499))
            #expect(
                table.record(.signed, operationID: "big", document: document, attempt: 1, at: Date()) == .alreadyFinal)
        }
        #expect(table.operations["big"]?.isFinished == true)
        var recovered = operation("again", documents: 3)
        recovered.documents[0].status = .signed
        table.insert(recovered)
        #expect(
            table.record(.signed, operationID: "again", document: 1, attempt: 1, at: Date())
                == .recorded(operationFinished: false))
        #expect(
            table.record(.signed, operationID: "again", document: 2, attempt: 1, at: Date())
                == .recorded(operationFinished: true))
    }

    @Test func outcomesAreRecordedOnceAndFinishTheOperation() {
        var table = OperationTable()
        _ = table.admit(operation("1"))
        let now = Date(timeIntervalSince1970: 10)
        #expect(
            table.record(.signed, operationID: "1", document: 0, attempt: 1, at: now)
                == .recorded(operationFinished: false))
        #expect(
            table.record(.failed(code: "X", message: nil), operationID: "1", document: 0, attempt: 1, at: now)
                == .alreadyFinal)
        #expect(table.pendingDocuments().map(\.document) == [1])
        #expect(
            table.record(
                .failed(code: "PDF_ENCRYPTED", message: "m"), operationID: "1", document: 1, attempt: 1, at: now)
                == .recorded(operationFinished: true))
        let finished = table.operations["1"]
        #expect(finished?.status == .executed)
        #expect(finished?.documents[1].signError == "PDF_ENCRYPTED")
        #expect(table.record(.signed, operationID: "nope", document: 0, attempt: 1, at: now) == .unknown)
        #expect(table.record(.signed, operationID: "1", document: 7, attempt: 1, at: now) == .unknown)
    }

    @Test func anOperationWhoseDocumentsAllFailedIsFailed() {
        var table = OperationTable()
        _ = table.admit(operation("1", documents: 1))
        _ = table.record(.failed(code: "E", message: nil), operationID: "1", document: 0, attempt: 1, at: Date())
        #expect(table.operations["1"]?.status == .executionFailed)
    }
}
