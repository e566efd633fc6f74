/*
 * Independent check of a DUIS XML signature with the JDK's javax.xml.crypto (DESIGN §4, docs/xml-signatures.md).
 *
 *     java tests/pki/java/VerifyDuis.java <xml-file> <cert.pem>
 *     java tests/pki/java/VerifyDuis.java --serve
 *
 * Single-file Java 17 program: no javac step, no external jars, no network. With --serve, one JVM (and one
 * in-memory compilation) checks many documents: each line "<xml-file>TAB<cert.pem>" on standard input is
 * answered on standard output with the lines below and then "exit=<status>" (the tests use this mode: one
 * JVM start per test session instead of one per document).
 *
 * The document is parsed the way the DCC Boxed tools parse it (namespace-aware, disallow-doctype-decl), minus
 * their schema validation: whitespace is kept, so the document is verified exactly as given. The public key
 * is always the one in <cert.pem>; KeyInfo is never used to find a key. KeyInfo's X509IssuerSerial is only
 * compared with the certificate's X500Principal.getName() and serial, and reported on the second line.
 *
 * Output:
 *     valid=<bool> ref=<bool>        core validation, and the Reference (digest) check
 *     keyinfo=<match|mismatch|absent> issuer=<X509IssuerName> java-issuer=<getName() of the cert's issuer>
 * Exit status: 0 when core validation passes, 1 when it fails, 2 on a usage, parse or processing error.
 */

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

import javax.xml.XMLConstants;
import javax.xml.crypto.AlgorithmMethod;
import javax.xml.crypto.KeySelector;
import javax.xml.crypto.KeySelectorException;
import javax.xml.crypto.KeySelectorResult;
import javax.xml.crypto.XMLCryptoContext;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.X509Data;
import javax.xml.crypto.dsig.keyinfo.X509IssuerSerial;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

public class VerifyDuis {

    public static void main(String[] args) throws IOException {
        if (args.length == 1 && args[0].equals("--serve")) {
            serve();
            return;
        }
        if (args.length != 2) {
            System.err.println("usage: java VerifyDuis.java <xml-file> <cert.pem> | --serve");
            System.exit(2);
        }
        try {
            System.exit(run(Path.of(args[0]), Path.of(args[1]), System.err));
        } catch (Exception e) {
            System.err.println("error: " + e);
            System.exit(2);
        }
    }

    /** Many documents in one JVM: "<xml-file>TAB<cert.pem>" per input line, answered by its lines and "exit=N". */
    static void serve() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split("\t", -1);
            int status;
            if (parts.length != 2) {
                System.out.println("error: expected <xml-file>TAB<cert.pem>");
                status = 2;
            } else {
                try {
                    status = run(Path.of(parts[0]), Path.of(parts[1]), System.out);
                } catch (Exception e) {
                    System.out.println("error: " + e);
                    status = 2;
                }
            }
            System.out.println("exit=" + status);
            System.out.flush();
        }
    }

    static int run(Path xmlFile, Path certFile, PrintStream errors) throws Exception {
        X509Certificate cert = readCertificate(certFile);
        Document document = parse(Files.readAllBytes(xmlFile));

        NodeList signatures = document.getElementsByTagNameNS(XMLSignature.XMLNS, "Signature");
        if (signatures.getLength() != 1) {
            errors.println("error: expected exactly one ds:Signature, found " + signatures.getLength());
            return 2;
        }

        XMLSignatureFactory factory = XMLSignatureFactory.getInstance("DOM");
        DOMValidateContext context = new DOMValidateContext(new CertificateKey(cert.getPublicKey()), signatures.item(0));
        // Refuse weak algorithms, too many transforms/references, external URIs (JDK 17's default, made explicit).
        context.setProperty("org.jcp.xml.dsig.secureValidation", Boolean.TRUE);

        XMLSignature signature = factory.unmarshalXMLSignature(context);
        boolean valid = signature.validate(context);
        boolean referencesValid = true;
        for (Object reference : signature.getSignedInfo().getReferences()) {
            referencesValid &= ((Reference) reference).validate(context);
        }
        System.out.println("valid=" + valid + " ref=" + referencesValid);
        System.out.println(describeKeyInfo(signature.getKeyInfo(), cert));
        return valid ? 0 : 1;
    }

    static Document parse(byte[] xml) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        dbf.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        dbf.setXIncludeAware(false);
        dbf.setExpandEntityReferences(false);
        // Not schema-validating, so element-content whitespace is ordinary text and is kept.
        DocumentBuilder builder = dbf.newDocumentBuilder();
        return builder.parse(new ByteArrayInputStream(xml));
    }

    static X509Certificate readCertificate(Path pem) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (InputStream in = new FileInputStream(pem.toFile())) {
            return (X509Certificate) cf.generateCertificate(in);
        }
    }

    /** KeyInfo's X509IssuerSerial compared with the certificate as Java names it (informational only). */
    static String describeKeyInfo(KeyInfo keyInfo, X509Certificate cert) {
        String javaIssuer = cert.getIssuerX500Principal().getName();
        BigInteger serial = cert.getSerialNumber();
        if (keyInfo != null) {
            for (Object item : keyInfo.getContent()) {
                if (!(item instanceof X509Data)) {
                    continue;
                }
                for (Object entry : ((X509Data) item).getContent()) {
                    if (entry instanceof X509IssuerSerial) {
                        X509IssuerSerial is = (X509IssuerSerial) entry;
                        boolean same = is.getIssuerName().equals(javaIssuer) && is.getSerialNumber().equals(serial);
                        return "keyinfo=" + (same ? "match" : "mismatch") + " issuer=" + printable(is.getIssuerName())
                                + " java-issuer=" + printable(javaIssuer) + " serial=" + is.getSerialNumber();
                    }
                }
            }
        }
        return "keyinfo=absent java-issuer=" + printable(javaIssuer);
    }

    /** Control characters as \\uXXXX, so that the report stays on its line. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Always the public key of the given certificate: the document cannot choose its own key. */
    static final class CertificateKey extends KeySelector {
        private final PublicKey key;

        CertificateKey(PublicKey key) {
            this.key = key;
        }

        @Override
        public KeySelectorResult select(KeyInfo keyInfo, Purpose purpose, AlgorithmMethod method,
                                        XMLCryptoContext context) throws KeySelectorException {
            if (purpose != Purpose.VERIFY) {
                throw new KeySelectorException("only verification is supported");
            }
            return new KeySelectorResult() {
                @Override
                public Key getKey() {
                    return key;
                }
            };
        }
    }

    private VerifyDuis() {
    }
}
