package org.ehrledger.ejb.infrastructure.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

/** User keys, membership certificates, password protection and PKCS#12 export. */
class UserCryptoTest {

    private static final char[] PASSWORD = "correct horse battery staple".toCharArray();
    private static final byte[] MESSAGE = "prescribe amoxicillin 500 mg".getBytes(StandardCharsets.UTF_8);

    @Test
    void signaturesVerifyOnlyForTheSignerAndTheExactMessage() {
        UserKeys alice = UserKeys.generate();
        UserKeys bob = UserKeys.generate();
        byte[] sig = alice.sign(MESSAGE);
        assertTrue(UserKeys.verify(alice.signing().getPublic(), MESSAGE, sig));
        assertFalse(UserKeys.verify(bob.signing().getPublic(), MESSAGE, sig), "another key");
        byte[] altered = MESSAGE.clone();
        altered[0] ^= 1;
        assertFalse(UserKeys.verify(alice.signing().getPublic(), altered, sig), "another message");
        assertFalse(UserKeys.verify(alice.signing().getPublic(), MESSAGE, new byte[3]), "garbage signature");
    }

    @Test
    void theMembershipCaCertifiesSigningAndEncryptionKeysOfItsUsersOnly() {
        MembershipCa hospital = MembershipCa.create("St Mary Hospital");
        MembershipCa other = MembershipCa.create("Rogue Clinic");
        UserKeys doctor = UserKeys.generate();
        X509Certificate signing = hospital.certify("prac-42", "PRACTITIONER", doctor.signing().getPublic());
        X509Certificate encryption = hospital.certify("prac-42", "PRACTITIONER", doctor.encryption().getPublic());
        Instant now = Instant.now();
        assertTrue(MembershipCa.isIssuedBy(signing, hospital.certificate(), now));
        assertTrue(MembershipCa.isIssuedBy(encryption, hospital.certificate(), now));
        assertFalse(MembershipCa.isIssuedBy(signing, other.certificate(), now), "another organisation's CA");
        assertFalse(MembershipCa.isIssuedBy(signing, hospital.certificate(), now.plus(Duration.ofDays(1000))),
                "expired");
        assertTrue(signing.getSubjectX500Principal().getName().contains("CN=prac-42"));
        assertTrue(signing.getSubjectX500Principal().getName().contains("OU=PRACTITIONER"));
        assertTrue(signing.getKeyUsage()[0], "digitalSignature");
        assertTrue(encryption.getKeyUsage()[4], "keyAgreement");
        X509Certificate parsed = MembershipCa.parse(encoded(signing));
        assertEquals(signing, parsed);
        assertThrows(CryptoException.class, () -> MembershipCa.parse(new byte[] {1, 2, 3}));
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void privateKeysAreStoredUnderThePasswordAndOpenOnlyWithIt() {
        PasswordProtection protection = new PasswordProtection(PasswordProtection.MIN_ITERATIONS);
        UserKeys keys = UserKeys.generate();
        byte[] blob = protection.protect(keys, PASSWORD);
        UserKeys back = protection.open(blob, PASSWORD);
        assertArrayEquals(keys.signing().getPrivate().getEncoded(), back.signing().getPrivate().getEncoded());
        assertArrayEquals(keys.encryption().getPrivate().getEncoded(), back.encryption().getPrivate().getEncoded());
        assertTrue(UserKeys.verify(keys.signing().getPublic(), MESSAGE, back.sign(MESSAGE)));

        assertThrows(WrongPasswordException.class, () -> protection.open(blob, "wrong".toCharArray()));
        byte[] tampered = blob.clone();
        tampered[tampered.length - 20] ^= 1;
        assertThrows(WrongPasswordException.class, () -> protection.open(tampered, PASSWORD));
        byte[] weakened = blob.clone();
        weakened[7] = 1; // iteration count lowered below the minimum
        assertThrows(CryptoException.class, () -> protection.open(weakened, PASSWORD));
        assertFalse(new String(blob, StandardCharsets.ISO_8859_1).contains("Ed25519"), "no key material in clear");
        assertEquals("UserKeys[private keys hidden]", keys.toString());
    }

    @Test
    void defaultPasswordCostFollowsCurrentGuidance() {
        assertTrue(PasswordProtection.DEFAULT_ITERATIONS >= 600_000);
        assertThrows(IllegalArgumentException.class, () -> new PasswordProtection(1_000));
    }

    @Test
    void anOwnerExportsTheirKeysAsPkcs12ThatStandardToolsRead() throws Exception {
        MembershipCa ca = MembershipCa.create("Lakeside Clinic");
        UserKeys patient = UserKeys.generate();
        X509Certificate s = ca.certify("pat-7", "PATIENT", patient.signing().getPublic());
        X509Certificate e = ca.certify("pat-7", "PATIENT", patient.encryption().getPublic());
        byte[] p12 = Pkcs12.export(patient, s, e, ca.certificate(), PASSWORD);

        UserKeys back = Pkcs12.load(p12, PASSWORD);
        // Same keys (the encodings may differ between providers): they sign and unwrap as the originals.
        assertTrue(UserKeys.verify(patient.signing().getPublic(), MESSAGE, back.sign(MESSAGE)));
        byte[] dataKey = RecordCipher.newDataKey();
        KeyWrap.Wrapped w = KeyWrap.wrap(dataKey, patient.encryption().getPublic(), "r".getBytes());
        assertArrayEquals(dataKey, KeyWrap.unwrap(w, back.encryption().getPrivate(), back.encryption().getPublic(),
                "r".getBytes()));
        assertThrows(WrongPasswordException.class, () -> Pkcs12.load(p12, "nope".toCharArray()));

        // The JDK's own PKCS#12 reader (what keytool uses) sees both entries and the chain.
        KeyStore jdk = KeyStore.getInstance("PKCS12");
        jdk.load(new java.io.ByteArrayInputStream(p12), PASSWORD);
        assertTrue(jdk.isKeyEntry(Pkcs12.SIGNING));
        assertTrue(jdk.isKeyEntry(Pkcs12.ENCRYPTION));
        assertEquals(2, jdk.getCertificateChain(Pkcs12.SIGNING).length);
    }
}
