import Common
import Testing

@Suite(.timeLimit(.minutes(2)))
struct WireMessageTests {
    @Test func everyCommandRoundTrips() throws {
        let job = WireMessage.Job(
            id: .init(operationID: "op", document: 3, attempt: 2), contentDigest: "abc", name: "a.pdf",
            contentType: "application/pdf",
            signature: .init(signatureType: "PAdES", reason: "r", location: "l", applyTimestamp: true),
            clientService: "alice")
        var resent = WireMessage.Result(job: job, signed: true)
        resent.resent = true
        var visible = job
        visible.signature.visibleSignature = VisibleSignatureInfo(
            locationType: "COORDINATE", locationValue: "page=1,x=70,y=100", area: "width=155,height=50",
            areaBackgroundColor: "transparent", font: "color=#000000,size=11", templateType: "SERVICE_CUSTOMIZATION",
            oneOffTemplate: "unused", imageType: "IMAGE_PNG", imageValue: "iVBORw0KGgo=")
        visible.signature.visibleSignatureTemplate = "Signed by $certificate.getCommonName()"
        let messages: [WireMessage] = [
            .ready(.init(signerID: "s", credit: 4, pid: 9, host: "h")),
            .ready(.init(signerID: "s", credit: 0, pid: 9, host: "h", draining: true)),
            .job(job, body: [1, 2, 3]), .job(visible, body: [4]),
            .result(.init(job: job, signed: false, signError: "PDF_ENCRYPTED", errorMessage: "m"), body: []),
            .result(resent, body: [7]),
            .ack(job.id), .heartbeat, .disconnect(reason: "bye"), .drained,
        ]
        for message in messages {
            #expect(try WireMessage.decode(message.encode()[...]) == message)
        }
        // A READY or RESULT from a signer that predates `draining`/`resent` reads as false.
        let old = try WireMessage.decode(
            [WireMessage.tag, [1], Array(#"{"version":1,"signerID":"s","credit":0,"pid":1,"host":"h"}"#.utf8)][...])
        guard case .ready(let ready) = old else { throw TestFailure("not a READY") }
        #expect(!ready.isDraining)
        // A JOB from a gateway that predates `clientService` reads as nil; a field a newer peer
        // adds is ignored.
        let olderJob = try WireMessage.decode(
            [
                WireMessage.tag, [2],
                Array(
                    #"{"operationID":"op","document":0,"attempt":1,"contentDigest":"d","name":"n","contentType":"t","signature":{"signatureType":"CAdES","applyTimestamp":false},"fromTheFuture":1}"#
                        .utf8),
            ][...])
        guard case .job(let decoded, _) = olderJob else { throw TestFailure("not a JOB") }
        #expect(decoded.clientService == nil && decoded.signature.signatureType == "CAdES")
    }

    @Test func foreignFramesAreRejected() {
        #expect(throws: WireError.self) { try WireMessage.decode([Array("OTHER/9".utf8), [5], []][...]) }
        // Version 2's visibleSignature had other fields: its peers are not spoken to.
        #expect(WireMessage.tag == Array("SIGNET/3".utf8))
        #expect(throws: WireError.self) { try WireMessage.decode([Array("SIGNET/2".utf8), [5], []][...]) }
        #expect(throws: WireError.self) { try WireMessage.decode([WireMessage.tag, [99], []][...]) }
        #expect(throws: WireError.self) { try WireMessage.decode([WireMessage.tag, [1], Array("not json".utf8)][...]) }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct CommandLineFlagsTests {
    @Test func bothFlagFormsAndSignStashNames() throws {
        var flags = try CommandLineFlags(["--port", "9000", "--server.host.port=10.0.0.5:8080", "--help"])
        #expect(try flags.int("port", in: 0...65535) == 9000)
        #expect(flags.string("server.host.port") == "10.0.0.5:8080")
        #expect(flags.string("help") == "true")
        try flags.checkAllUsed()
    }

    @Test func repeatedFlagsKeepEveryValue() throws {
        var flags = try CommandLineFlags(["--peer", "http://a:1", "--peer=http://b:2, http://c:3", "--peer", ","])
        #expect(flags.list("peer") == ["http://a:1", "http://b:2", "http://c:3"])
        #expect(flags.list("absent").isEmpty)
        try flags.checkAllUsed()
    }

    @Test func problemsAreReported() throws {
        #expect(throws: CommandLineFlags.Problem.self) { try CommandLineFlags(["--port"]) }
        #expect(throws: CommandLineFlags.Problem.self) { try CommandLineFlags(["stray"]) }
        var flags = try CommandLineFlags(["--port", "http", "--typo", "1"])
        #expect(throws: CommandLineFlags.Problem.self) { try flags.int("port", in: 0...65535) }
        #expect(throws: CommandLineFlags.Problem.self) { try flags.checkAllUsed() }
        var levels = try CommandLineFlags(["--log-level", "DEBUG", "--other", "loud"])
        #expect(try levels.choice("log-level", in: CommandLineFlags.logLevels) == "debug")
        #expect(throws: CommandLineFlags.Problem.self) { try levels.choice("other", in: CommandLineFlags.logLevels) }
    }
}
