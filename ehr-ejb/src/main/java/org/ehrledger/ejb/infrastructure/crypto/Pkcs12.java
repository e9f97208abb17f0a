package org.ehrledger.ejb.infrastructure.crypto;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;

/** Export of a user's private keys with their certificate chains as a password-protected PKCS#12 file. */
public final class Pkcs12 {

    /** Alias of the Ed25519 signing key. */
    public static final String SIGNING = "signing";
    /** Alias of the X25519 encryption key. */
    public static final String ENCRYPTION = "encryption";

    private Pkcs12() {
    }

    /** Builds the PKCS#12 file. */
    public static byte[] export(UserKeys keys, X509Certificate signingCert, X509Certificate encryptionCert,
                                X509Certificate caCert, char[] password) {
        try {
            // The JDK's PKCS#12 writer: PBES2 with PBKDF2-HmacSHA256 and AES-256 for keys and certificates and
            // an HmacPBESHA256 integrity MAC, rather than Bouncy Castle's legacy 3DES/RC2-40 defaults.
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(SIGNING, keys.signing().getPrivate(), password, new Certificate[] {signingCert, caCert});
            ks.setKeyEntry(ENCRYPTION, keys.encryption().getPrivate(), password, new Certificate[] {encryptionCert, caCert});
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ks.store(out, password);
            return out.toByteArray();
        } catch (GeneralSecurityException | IOException e) {
            throw new CryptoException("cannot build the PKCS#12 file", e);
        }
    }

    /**
     * Reads the keys back from a PKCS#12 file.
     *
     * @throws WrongPasswordException if the password does not open it
     */
    public static UserKeys load(byte[] p12, char[] password) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(p12), password);
            return new UserKeys(pair(ks, SIGNING, password), pair(ks, ENCRYPTION, password));
        } catch (UnrecoverableKeyException e) {
            throw new WrongPasswordException();
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("password")) {
                throw new WrongPasswordException();
            }
            throw new CryptoException("not a readable PKCS#12 file", e);
        } catch (GeneralSecurityException e) {
            throw new CryptoException("not a readable PKCS#12 file", e);
        }
    }

    private static KeyPair pair(KeyStore ks, String alias, char[] password) throws GeneralSecurityException {
        PrivateKey key = (PrivateKey) ks.getKey(alias, password);
        Certificate cert = ks.getCertificate(alias);
        if (key == null || cert == null) {
            throw new CryptoException("the PKCS#12 file has no '" + alias + "' key");
        }
        // Re-read the JDK's key objects as Bouncy Castle keys, which the rest of this package uses.
        String algorithm = SIGNING.equals(alias) ? "Ed25519" : "X25519";
        return new KeyPair(UserKeys.publicKey(algorithm, cert.getPublicKey().getEncoded()),
                UserKeys.privateKey(algorithm, key.getEncoded()));
    }
}
