package org.ehrledger.ejb.infrastructure.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * An organisation's membership certificate authority: a self-signed Ed25519 root that certifies its
 * users' Ed25519 signing keys (key usage digitalSignature) and X25519 encryption keys (keyAgreement).
 * The subject names the user id (CN), role (OU) and organisation (O).
 */
public final class MembershipCa {

    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration USER_VALIDITY = Duration.ofDays(730);

    private final String organisation;
    private final KeyPair keys;
    private final X509Certificate certificate;
    /** When it issues: the system clock, or the clock of a test ledger. */
    private final Clock clock;

    /** An existing CA. */
    public MembershipCa(String organisation, KeyPair keys, X509Certificate certificate) {
        this(organisation, keys, certificate, Clock.systemUTC());
    }

    private MembershipCa(String organisation, KeyPair keys, X509Certificate certificate, Clock clock) {
        this.organisation = organisation;
        this.keys = keys;
        this.certificate = certificate;
        this.clock = clock;
    }

    /** Creates a new CA for an organisation. */
    public static MembershipCa create(String organisation) {
        return create(organisation, Clock.systemUTC());
    }

    /**
     * Creates a new CA for an organisation whose certificates are issued as of {@code clock} (tests whose ledger runs
     * on a clock of its own issue them on that clock, so that they are valid at the ledger's time).
     */
    public static MembershipCa create(String organisation, Clock clock) {
        try {
            KeyPair keys = KeyPairGenerator.getInstance("Ed25519", Providers.BC).generateKeyPair();
            X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, organisation)
                    .addRDN(BCStyle.CN, organisation + " membership CA").build();
            Instant now = clock.instant();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(CA_VALIDITY)), name, keys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return new MembershipCa(organisation, keys, sign(b, keys), clock);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new CryptoException("cannot create the membership CA of " + organisation, e);
        }
    }

    /** The CA certificate (the trust anchor other replicas register for this organisation). */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The CA's key pair (kept by the organisation's replica, never on chain). */
    public KeyPair keys() {
        return keys;
    }

    /**
     * Certifies a user's public key.
     *
     * @param userId     stable user identifier (CN)
     * @param role       role such as PATIENT, PRACTITIONER, ADMIN, BILLING (OU)
     * @param key        the Ed25519 or X25519 public key
     */
    public X509Certificate certify(String userId, String role, PublicKey key) {
        boolean signing = "Ed25519".equalsIgnoreCase(key.getAlgorithm()) || "EdDSA".equalsIgnoreCase(key.getAlgorithm());
        try {
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, organisation)
                    .addRDN(BCStyle.OU, role).addRDN(BCStyle.CN, userId).build();
            Instant now = clock.instant();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(USER_VALIDITY)), subject, key);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true,
                    new KeyUsage(signing ? KeyUsage.digitalSignature | KeyUsage.nonRepudiation : KeyUsage.keyAgreement));
            return sign(b, keys);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new CryptoException("cannot certify the key of " + userId, e);
        }
    }

    /** Whether a certificate was issued by the given CA certificate (signature and validity at {@code when}). */
    public static boolean isIssuedBy(X509Certificate cert, X509Certificate ca, Instant when) {
        try {
            if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
                return false;
            }
            cert.verify(ca.getPublicKey(), Providers.BC);
            cert.checkValidity(Date.from(when));
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false; // includes keys the provider cannot even decode
        }
    }

    /** The value of one attribute (e.g. "CN", "OU", "O") of a certificate's subject, or null. */
    public static String subjectField(X509Certificate cert, String attribute) {
        try {
            X500Name name = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
            org.bouncycastle.asn1.ASN1ObjectIdentifier oid = BCStyle.INSTANCE.attrNameToOID(attribute);
            org.bouncycastle.asn1.x500.RDN[] rdns = name.getRDNs(oid);
            return rdns.length == 1 ? org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(rdns[0].getFirst().getValue())
                    : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Largest certificate accepted. */
    public static final int MAX_CERTIFICATE_BYTES = 4096;
    private static final int MAX_DER_DEPTH = 24;

    /**
     * Parses a DER-encoded certificate. Size and nesting depth are checked first, without recursion, so
     * hostile input cannot overflow the parser's stack.
     */
    public static X509Certificate parse(byte[] der) {
        if (der == null || der.length > MAX_CERTIFICATE_BYTES || derDepth(der) > MAX_DER_DEPTH) {
            throw new CryptoException("not a plausible X.509 certificate (too large or too deeply nested)");
        }
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509", Providers.BC)
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | RuntimeException e) {
            throw new CryptoException("not a valid X.509 certificate", e);
        }
    }

    /** Maximum nesting of constructed DER elements, computed iteratively; Integer.MAX_VALUE if malformed. */
    static int derDepth(byte[] der) {
        int max = 0;
        java.util.ArrayDeque<Integer> ends = new java.util.ArrayDeque<>();
        int pos = 0;
        while (pos < der.length) {
            while (!ends.isEmpty() && pos >= ends.peek()) {
                ends.pop();
            }
            int tag = der[pos++] & 0xff;
            if ((tag & 0x1f) == 0x1f || pos >= der.length) {
                return Integer.MAX_VALUE; // high tag numbers do not occur in certificates
            }
            int len = der[pos++] & 0xff;
            if (len == 0x80) {
                return Integer.MAX_VALUE; // indefinite length is not DER
            }
            if (len > 0x80) {
                int n = len & 0x7f;
                if (n > 3 || pos + n > der.length) {
                    return Integer.MAX_VALUE;
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (der[pos++] & 0xff);
                }
            }
            if (pos + len > der.length) {
                return Integer.MAX_VALUE;
            }
            if ((tag & 0x20) != 0) {
                ends.push(pos + len);
                max = Math.max(max, ends.size());
            } else {
                pos += len;
            }
        }
        return max;
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuer) throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("Ed25519").setProvider(Providers.BC).build(issuer.getPrivate());
            return new JcaX509CertificateConverter().setProvider(Providers.BC).getCertificate(b.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(128, Providers.random());
    }

    @Override
    public String toString() {
        return "MembershipCa[" + organisation + "]";
    }
}
