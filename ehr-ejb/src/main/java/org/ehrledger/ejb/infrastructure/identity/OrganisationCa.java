package org.ehrledger.ejb.infrastructure.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.GeneralSecurityException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.logging.Logger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.ehrledger.ejb.infrastructure.consensus.ReplicaConfig;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.MembershipCa;
import org.ehrledger.ejb.infrastructure.crypto.Providers;

/**
 * The membership CA of the organisation this replica belongs to. Created on first use and kept in
 * {@code <data dir>/organisation/membership-ca.key} (owner-readable only, like the replica's consensus
 * key); only its certificate goes on chain, when the organisation registers.
 */
@ApplicationScoped
public class OrganisationCa {

    private static final Logger LOG = Logger.getLogger(OrganisationCa.class.getName());

    @Inject
    ReplicaConfig config;

    private MembershipCa ca;
    private KeyPair custodian;
    private byte[] enrolmentKey;

    /** The CA, loaded or created. */
    public synchronized MembershipCa ca() {
        if (ca == null) {
            Path file = config.dataDir().resolve("organisation").resolve("membership-ca.key");
            ca = Files.isRegularFile(file) ? load(file) : create(file);
        }
        return ca;
    }

    /**
     * The organisation's custodian key pair (X25519), loaded or created, kept in
     * {@code <data dir>/organisation/custodian.key}; its public key goes on chain with the organisation.
     */
    public synchronized KeyPair custodian() {
        if (custodian == null) {
            Path file = config.dataDir().resolve("organisation").resolve("custodian.key");
            try {
                if (Files.isRegularFile(file)) {
                    List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
                    Base64.Decoder b64 = Base64.getDecoder();
                    KeyFactory kf = KeyFactory.getInstance("X25519", Providers.BC);
                    custodian = new KeyPair(kf.generatePublic(new X509EncodedKeySpec(b64.decode(lines.get(0)))),
                            kf.generatePrivate(new PKCS8EncodedKeySpec(b64.decode(lines.get(1)))));
                } else {
                    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("X25519", Providers.BC);
                    g.initialize(255, Providers.random());
                    KeyPair created = g.generateKeyPair();
                    Base64.Encoder b64 = Base64.getEncoder();
                    writeSecret(file, b64.encodeToString(created.getPublic().getEncoded()) + "\n"
                            + b64.encodeToString(created.getPrivate().getEncoded()) + "\n");
                    custodian = created;
                    LOG.info(() -> "created the custodian key of " + config.organisationId() + " in " + file);
                }
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                throw new CryptoException("cannot read or create the organisation's custodian key " + file
                        + "; restore it from backup (a new key would not match the one registered on chain)", e);
            }
        }
        return custodian;
    }

    /**
     * This replica's enrolment key (32 random bytes), loaded or created, kept in
     * {@code <data dir>/organisation/enrolment.key}: it seals the first keys of people registered by someone
     * else until they enrol (see {@code Enrolment}). Never leaves the replica and is never on chain; losing it
     * only means pending enrolments need a new registration.
     */
    public synchronized byte[] enrolmentKey() {
        if (enrolmentKey == null) {
            Path file = config.dataDir().resolve("organisation").resolve("enrolment.key");
            try {
                if (Files.isRegularFile(file)) {
                    enrolmentKey = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
                } else {
                    byte[] created = Providers.randomBytes(32);
                    writeSecret(file, Base64.getEncoder().encodeToString(created) + "\n");
                    enrolmentKey = created;
                }
            } catch (IOException | RuntimeException e) {
                throw new CryptoException("cannot read or create this replica's enrolment key " + file, e);
            }
        }
        return enrolmentKey.clone();
    }

    /** Writes a file readable by its owner only, atomically. */
    private static void writeSecret(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private MembershipCa load(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            Base64.Decoder b64 = Base64.getDecoder();
            X509Certificate cert = MembershipCa.parse(b64.decode(lines.get(0)));
            KeyFactory kf = KeyFactory.getInstance("Ed25519", Providers.BC);
            KeyPair keys = new KeyPair(kf.generatePublic(new X509EncodedKeySpec(b64.decode(lines.get(1)))),
                    kf.generatePrivate(new PKCS8EncodedKeySpec(b64.decode(lines.get(2)))));
            return new MembershipCa(config.organisationId(), keys, cert);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new CryptoException("cannot read the organisation's membership CA from " + file
                    + "; restore it from backup (a new CA would not match the one registered on chain)", e);
        }
    }

    private MembershipCa create(Path file) {
        MembershipCa created = MembershipCa.create(config.organisationId());
        Base64.Encoder b64 = Base64.getEncoder();
        try {
            writeSecret(file, b64.encodeToString(created.certificate().getEncoded()) + "\n"
                    + b64.encodeToString(created.keys().getPublic().getEncoded()) + "\n"
                    + b64.encodeToString(created.keys().getPrivate().getEncoded()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the organisation's membership CA in " + file, e);
        } catch (CertificateEncodingException e) {
            throw new CryptoException("cannot encode the membership CA", e);
        }
        LOG.info(() -> "created the membership CA of " + config.organisationId() + " in " + file);
        return created;
    }
}
