import Foundation

/// The gateway ⇄ signer protocol, version 3 (see docs/protocol.md).
public enum WireMessage: Sendable, Equatable {
    case ready(Ready)
    case job(Job, body: [UInt8])
    case result(Result, body: [UInt8])
    case ack(JobID)
    case heartbeat
    /// The gateway's answer to a draining READY: every JOB it sent that signer is ahead of it.
    case drained
    case disconnect(reason: String)

    public static let tag: [UInt8] = Array("SIGNET/3".utf8)
    public static let version = 3

    public struct Ready: Codable, Sendable, Equatable {
        public var version: Int
        public var signerID: String
        public var credit: Int
        public var pid: Int32
        public var host: String
        /// The signer is shutting down: send it nothing more, and its results give no credit back.
        /// Absent means `false` (a busy signer announces `credit: 0` without draining).
        public var draining: Bool?

        public init(signerID: String, credit: Int, pid: Int32, host: String, draining: Bool = false) {
            self.version = WireMessage.version
            self.signerID = signerID
            self.credit = credit
            self.pid = pid
            self.host = host
            self.draining = draining
        }

        public var isDraining: Bool { draining ?? false }
    }

    /// Names one attempt at one document.
    public struct JobID: Codable, Sendable, Hashable, CustomStringConvertible {
        public var operationID: String
        public var document: Int
        public var attempt: Int

        public init(operationID: String, document: Int, attempt: Int) {
            self.operationID = operationID
            self.document = document
            self.attempt = attempt
        }

        public var description: String { "\(operationID)/\(document)#\(attempt)" }
    }

    public struct Job: Codable, Sendable, Equatable {
        public var operationID: String
        public var document: Int
        public var attempt: Int
        public var contentDigest: String
        public var name: String
        public var contentType: String
        public var signature: SignatureParameters
        /// The client service whose operation this is: the signing backend signs with that
        /// client's identity (a CSC credential per client service). Absent from gateways older
        /// than this field: signed as the client `""`, which only a backend with one identity for
        /// every client (the local key) accepts.
        public var clientService: String?
        /// The gateway takes a PAdES result as only what the signature appends to this job's body
        /// (`Result.appended`): it keeps the document, so the PDF need not come back whole.
        /// Absent means `false`: the result is the whole signed document.
        public var appendedResult: Bool?

        public init(
            id: JobID, contentDigest: String, name: String, contentType: String, signature: SignatureParameters,
            clientService: String? = nil, appendedResult: Bool? = nil
        ) {
            self.operationID = id.operationID
            self.document = id.document
            self.attempt = id.attempt
            self.contentDigest = contentDigest
            self.name = name
            self.contentType = contentType
            self.signature = signature
            self.clientService = clientService
            self.appendedResult = appendedResult
        }

        public var id: JobID { JobID(operationID: operationID, document: document, attempt: attempt) }
        public var takesAppendedResult: Bool { appendedResult ?? false }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var operationID: String
        public var document: Int
        public var attempt: Int
        public var contentDigest: String
        public var signed: Bool
        public var signError: String?
        public var errorMessage: String?
        /// Sent again after re-registering (its slot was already free when the READY was sent):
        /// it gives no credit back. Absent means `false`.
        public var resent: Bool?
        /// Not signed because a remote signing service is unavailable: the gateway queues the
        /// document again after at least this many seconds instead of failing it. Absent: final.
        public var retryAfter: Double?
        /// The body is only what the signature appends to the job's body (an incremental update),
        /// sent when the job asked for it (`Job.appendedResult`). Absent means `false`: the body is
        /// the whole signed document.
        public var appended: Bool?

        public init(
            job: Job, signed: Bool, signError: String? = nil, errorMessage: String? = nil, retryAfter: Double? = nil
        ) {
            self.operationID = job.operationID
            self.document = job.document
            self.attempt = job.attempt
            self.contentDigest = job.contentDigest
            self.signed = signed
            self.signError = signError
            self.errorMessage = errorMessage
            self.retryAfter = retryAfter
        }

        public var id: JobID { JobID(operationID: operationID, document: document, attempt: attempt) }
        public var isResent: Bool { resent ?? false }
        public var isAppended: Bool { appended ?? false }
    }

    enum Command: UInt8 {
        case ready = 1, job, result, ack, heartbeat, disconnect, drained
    }

    private struct Disconnect: Codable { var reason: String }
}

/// How a document is to be signed: the `signatureInfo` of the client API, as a job carries it.
public struct SignatureParameters: Codable, Sendable, Equatable {
    public var signatureType: String
    public var reason: String?
    public var location: String?
    public var applyTimestamp: Bool
    public var visibleSignature: VisibleSignatureInfo?
    /// The client service's own visible-signature text (`visibleSignatureTemplate` in
    /// client-services-config.json), set by the gateway when `visibleSignature.templateType` is
    /// `SERVICE_CUSTOMIZATION`: a signer does not read that file. Nil: the built-in text.
    public var visibleSignatureTemplate: String?
    /// XAdES only: the client's `advancedSignatureInfo`. Absent: the signature goes into the
    /// document element, enveloped, with exclusive canonicalization.
    public var advancedSignature: AdvancedSignatureInfo?

    public init(
        signatureType: String, reason: String? = nil, location: String? = nil,
        applyTimestamp: Bool = false, visibleSignature: VisibleSignatureInfo? = nil,
        visibleSignatureTemplate: String? = nil, advancedSignature: AdvancedSignatureInfo? = nil
    ) {
        self.signatureType = signatureType
        self.reason = reason
        self.location = location
        self.applyTimestamp = applyTimestamp
        self.visibleSignature = visibleSignature
        self.visibleSignatureTemplate = visibleSignatureTemplate
        self.advancedSignature = advancedSignature
    }

    /// A detached CAdES signature covers only the document's SHA-256: its job carries the
    /// digest, never the content (docs/protocol.md), and the gateway keeps no copy of the document.
    public var signsDigestOnly: Bool { Self.signsDigestOnly(signatureType) }

    public static func signsDigestOnly(_ signatureType: String) -> Bool { signatureType.uppercased() == "CADES" }
}

public struct WireError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension WireMessage {
    /// The frames a DEALER sends (a ROUTER prepends the routing id).
    public func encode() -> ZMQMessage {
        let encoder = JSONEncoder()
        func json(_ value: some Encodable) -> [UInt8] { (try? Array(encoder.encode(value))) ?? Array("{}".utf8) }
        switch self {
        case .ready(let ready): return [Self.tag, [Command.ready.rawValue], json(ready)]
        case .job(let job, let body): return [Self.tag, [Command.job.rawValue], json(job), body]
        case .result(let result, let body): return [Self.tag, [Command.result.rawValue], json(result), body]
        case .ack(let id): return [Self.tag, [Command.ack.rawValue], json(id)]
        case .heartbeat: return [Self.tag, [Command.heartbeat.rawValue], Array("{}".utf8)]
        case .drained: return [Self.tag, [Command.drained.rawValue], Array("{}".utf8)]
        case .disconnect(let reason):
            return [Self.tag, [Command.disconnect.rawValue], json(Disconnect(reason: reason))]
        }
    }

    /// Decodes the frames after any routing id.
    public static func decode(_ frames: ArraySlice<[UInt8]>) throws -> WireMessage {
        guard frames.count >= 3, let tag = frames.first else { throw WireError(description: "too few frames") }
        guard tag == Self.tag else { throw WireError(description: "unknown protocol tag") }
        let commandFrame = frames[frames.startIndex + 1]
        guard commandFrame.count == 1, let command = Command(rawValue: commandFrame[0]) else {
            throw WireError(description: "unknown command")
        }
        let header = Data(frames[frames.startIndex + 2])
        let body = frames.count > 3 ? frames[frames.startIndex + 3] : []
        let decoder = JSONDecoder()
        do {
            switch command {
            case .ready: return .ready(try decoder.decode(Ready.self, from: header))
            case .job: return .job(try decoder.decode(Job.self, from: header), body: body)
            case .result: return .result(try decoder.decode(Result.self, from: header), body: body)
            case .ack: return .ack(try decoder.decode(JobID.self, from: header))
            case .heartbeat: return .heartbeat
            case .drained: return .drained
            case .disconnect:
                return .disconnect(reason: (try? decoder.decode(Disconnect.self, from: header))?.reason ?? "")
            }
        } catch {
            throw WireError(description: "bad \(command) header")
        }
    }
}
