// Checks XML-DSig / XAdES signatures with Apache Santuario (Debian's libxml-security-java), the
// XML security library EU DSS validates with: a validator Signet did not write, and one that
// follows XML-DSig where signxml departs from it (PIs outside the document element, URI=""
// without comments, XPath and XPath Filter 2.0 transforms).
//
// usage: java -cp xmlsec.jar:commons-codec.jar:slf4j-api.jar:slf4j-nop.jar SantuarioVerify.java \
//            CA_PEM FILE SIGNATURE_ID [FILE SIGNATURE_ID ...]
// Prints one JSON object per file: {"file", "santuario": "ok" | reason}. "ok" means: secure
// validation on, every reference's digest and the signature value verify with a certificate of
// the signature's KeyInfo, and that certificate chains (PKIX, no revocation) to CA_PEM.
import java.io.File;
import java.io.FileInputStream;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.xml.security.Init;
import org.apache.xml.security.keys.KeyInfo;
import org.apache.xml.security.keys.content.X509Data;
import org.apache.xml.security.signature.SignedInfo;
import org.apache.xml.security.signature.XMLSignature;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public class SantuarioVerify {
    public static void main(String[] args) throws Exception {
        Init.init();
        X509Certificate ca;
        try (FileInputStream in = new FileInputStream(args[0])) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        for (int i = 1; i + 1 < args.length; i += 2) {
            String verdict;
            try {
                verdict = check(new File(args[i]), args[i + 1], ca);
            } catch (Exception error) {
                verdict = error.getClass().getSimpleName() + ": " + error.getMessage();
            }
            System.out.println("{\"file\": " + json(args[i]) + ", \"santuario\": " + json(verdict) + "}");
        }
    }

    static String check(File file, String signatureId, X509Certificate ca) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document document = factory.newDocumentBuilder().parse(file);
        // XML-DSig leaves Id attributes to the application: every `Id` is one (as xmlsec1's --id-attr).
        NodeList elements = document.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < elements.getLength(); i++) {
            Element element = (Element) elements.item(i);
            if (element.hasAttributeNS(null, "Id")) element.setIdAttributeNS(null, "Id", true);
        }
        Element signatureElement = document.getElementById(signatureId);
        if (signatureElement == null) return "no signature with Id " + signatureId;
        XMLSignature signature = new XMLSignature(signatureElement, file.toURI().toString(), true);
        List<X509Certificate> certificates = new ArrayList<>();
        KeyInfo keyInfo = signature.getKeyInfo();
        for (int i = 0; keyInfo != null && i < keyInfo.lengthX509Data(); i++) {
            X509Data data = keyInfo.itemX509Data(i);
            for (int j = 0; j < data.lengthCertificate(); j++) {
                certificates.add(data.itemCertificate(j).getX509Certificate());
            }
        }
        if (certificates.isEmpty()) return "no X509Certificate in KeyInfo";
        // The certificate that verifies the signature value is the signer's; the others (the CA)
        // may not even have a key of the signature's algorithm.
        String refused = null;
        for (X509Certificate certificate : certificates) {
            boolean verified;
            try {
                verified = signature.checkSignatureValue(certificate);
            } catch (Exception error) {
                if (refused == null) refused = error.getClass().getSimpleName() + ": " + error.getMessage();
                continue;
            }
            if (!verified) {
                SignedInfo signedInfo = signature.getSignedInfo();
                StringBuilder failed = new StringBuilder("signature does not verify;");
                for (int i = 0; i < signedInfo.getLength(); i++) {
                    if (!signedInfo.getVerificationResult(i)) {
                        failed.append(" reference ").append(i).append(" digest mismatch;");
                    }
                }
                refused = failed.toString();
                continue;
            }
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(certificate);
            PKIXBuilderParameters parameters = new PKIXBuilderParameters(Set.of(new TrustAnchor(ca, null)), target);
            parameters.setRevocationEnabled(false);
            parameters.addCertStore(
                CertStore.getInstance("Collection", new CollectionCertStoreParameters(certificates)));
            CertPathBuilder.getInstance("PKIX").build(parameters);
            return "ok";
        }
        return refused;
    }

    static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }
}
