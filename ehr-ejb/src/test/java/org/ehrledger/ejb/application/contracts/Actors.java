package org.ehrledger.ejb.application.contracts;

import java.security.cert.CertificateEncodingException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.ehrledger.ejb.domain.model.tx.Fields;
import org.ehrledger.ejb.domain.model.tx.SignedTransaction;
import org.ehrledger.ejb.domain.model.tx.TxType;
import org.ehrledger.ejb.infrastructure.crypto.KeyWrap;
import org.ehrledger.ejb.infrastructure.crypto.MembershipCa;
import org.ehrledger.ejb.infrastructure.crypto.RecordCipher;
import org.ehrledger.ejb.infrastructure.crypto.UserKeys;

/** People of a small network and the transactions they sign, for the tests of the contracts and of the ledger. */
public final class Actors {

    /**
     * Where the simulated consensus clock starts: the real time when the tests began. Certificates are issued as of
     * T0 too, so that they are valid at the ledger's time however long the tests before ran (issued at the real time,
     * a test that began more than five minutes after T0, on a loaded machine, found its actors not yet certified).
     */
    public static final long T0 = System.currentTimeMillis();

    /** The clock the test certificates are issued on: T0. */
    public static final java.time.Clock ISSUED = java.time.Clock.fixed(java.time.Instant.ofEpochMilli(T0), java.time.ZoneOffset.UTC);

    public final MembershipCa hospital = MembershipCa.create("St Mary", ISSUED);
    public final MembershipCa clinic = MembershipCa.create("Lakeside", ISSUED);
    private long nonce = 1;

    /** A person with keys and certificates from an organisation's CA. */
    public final class Person {
        public final String id;
        public final UserKeys keys;
        public final MembershipCa ca;
        public final String role;

        public Person(String id, MembershipCa ca, String role) {
            this(id, ca, role, UserKeys.generate());
        }

        /** A person with given keys (a second account under someone's keys, or a lost identity's new keys). */
        public Person(String id, MembershipCa ca, String role, UserKeys keys) {
            this.id = id;
            this.ca = ca;
            this.role = role;
            this.keys = keys;
        }

        public byte[] signingKey() {
            return keys.signing().getPublic().getEncoded();
        }

        public byte[] encryptionKey() {
            return keys.encryption().getPublic().getEncoded();
        }

        public byte[] cert(boolean signing) {
            try {
                return ca.certify(id, role, signing ? keys.signing().getPublic() : keys.encryption().getPublic())
                        .getEncoded();
            } catch (CertificateEncodingException e) {
                throw new AssertionError(e);
            }
        }

        public byte[] sign(TxType type, Fields body) {
            return signAs(id, type, body);
        }

        /** Signs with this person's key but names another author (an impersonation attempt). */
        public byte[] signAs(String author, TxType type, Fields body) {
            long n = nonce++;
            byte[] sig = keys.sign(SignedTransaction.signedBytes(type, author, n, body));
            return new SignedTransaction(type, author, n, body, sig).encode();
        }

        public String wrapFor(byte[] dataKey, String recordId) {
            return id + ":" + Base64.getEncoder().encodeToString(
                    KeyWrap.wrap(dataKey, keys.encryption().getPublic(), recordId.getBytes()).encode());
        }
    }

    public final Person admin = new Person("admin-1", hospital, "ADMIN");
    /** St Mary's second administrator, registered by the first: confirms the registrations the first made. */
    public final Person secondAdmin = new Person("admin-1b", hospital, "ADMIN");
    public final Person clinicAdmin = new Person("admin-2", clinic, "ADMIN");
    public final Person doctor = new Person("dr-house", hospital, "PRACTITIONER");
    public final Person otherDoctor = new Person("dr-wilson", clinic, "PRACTITIONER");
    public final Person biller = new Person("bill-1", hospital, "BILLING");
    public final Person alice = new Person("pat-alice", hospital, "PATIENT");
    public final Person bob = new Person("pat-bob", clinic, "PATIENT");
    /** St Mary's custodian key (registered with the organisation); Lakeside registers none. */
    public final Person stMaryCustodian = new Person("org:st-mary", hospital, "CUSTODIAN");
    public final Person lakesideCustodian = new Person("org:lakeside", clinic, "CUSTODIAN");

    public byte[] genesisOrganisation() {
        return admin.sign(TxType.REGISTER_ORGANISATION, orgBody("st-mary", "St Mary Hospital", hospital, admin,
                stMaryCustodian.encryptionKey()));
    }

    public byte[] secondOrganisation() {
        return admin.sign(TxType.REGISTER_ORGANISATION, orgBody("lakeside", "Lakeside Clinic", clinic, clinicAdmin, null));
    }

    private static Fields orgBody(String org, String name, MembershipCa ca, Person first, byte[] custodianKey) {
        try {
            Fields.Builder b = Fields.builder();
            if (custodianKey != null) {
                b.put("custodianKey", custodianKey);
            }
            return b.put("organisation", org).put("name", name)
                    .put("caCertificate", ca.certificate().getEncoded()).put("adminId", first.id)
                    .put("adminSigningKey", first.signingKey()).put("adminEncryptionKey", first.encryptionKey())
                    .put("adminSigningCertificate", first.cert(true)).put("adminEncryptionCertificate", first.cert(false))
                    .build();
        } catch (CertificateEncodingException e) {
            throw new AssertionError(e);
        }
    }

    public byte[] registerStaff(Person by, Person who, TxType type) {
        return by.sign(type, Fields.builder().put("userId", who.id).put("role", who.role)
                .put("signingKey", who.signingKey()).put("encryptionKey", who.encryptionKey())
                .put("signingCertificate", who.cert(true)).put("encryptionCertificate", who.cert(false)).build());
    }

    public byte[] registerPatient(Person p, String org) {
        return p.sign(TxType.REGISTER_PATIENT, Fields.builder().put("organisation", org)
                .put("signingKey", p.signingKey()).put("encryptionKey", p.encryptionKey())
                .put("signingCertificate", p.cert(true)).put("encryptionCertificate", p.cert(false)).build());
    }

    /** A transaction and the content (ciphertext) that travels after it in the same request. */
    public record Submission(byte[] tx, byte[] content) {
    }

    /** A record written by {@code author} for {@code patient}, key wrapped for the given readers. */
    public Submission addRecord(Person author, Person patient, String recordId, String category, Person... readers) {
        return stage(null, author, patient, recordId, category, readers);
    }

    /** {@link #addRecord}, staged in import {@code importId} (null: added at once). */
    public Submission stage(String importId, Person author, Person patient, String recordId, String category, Person... readers) {
        byte[] key = RecordCipher.newDataKey();
        byte[] ct = RecordCipher.encrypt(key, ("content of " + recordId).getBytes(), recordId.getBytes());
        List<String> wraps = new ArrayList<>();
        for (Person r : readers) {
            wraps.add(r.wrapFor(key, recordId));
        }
        Fields.Builder body = Fields.builder().put("recordId", recordId).put("patient", patient.id).put("category", category)
                .put("contentHash", org.ehrledger.consensus.codec.Digest.sha256(ct).bytes()).put("size", ct.length)
                .put("wraps", wraps);
        if (importId != null) {
            body.put("importId", importId);
        }
        return new Submission(author.sign(category.equals("PRESCRIPTION") ? TxType.PRESCRIBE : TxType.ADD_RECORD, body.build()), ct);
    }

    public byte[] beginImport(Person author, Person patient, String importId, String bundleHash, long records) {
        return author.sign(TxType.BEGIN_IMPORT, Fields.builder().put("importId", importId).put("patient", patient.id)
                .put("bundleHash", bundleHash).put("records", records).build());
    }

    public byte[] publishImport(Person author, String importId) {
        return author.sign(TxType.PUBLISH_IMPORT, Fields.builder().put("importId", importId).build());
    }

    public byte[] abortImport(Person author, String importId) {
        return author.sign(TxType.ABORT_IMPORT, Fields.builder().put("importId", importId).build());
    }

    public byte[] billed(Person clerk, String recordId, String invoice) {
        return clerk.sign(TxType.ACKNOWLEDGE_BILLED, Fields.builder().put("recordId", recordId).put("invoice", invoice).build());
    }

    public byte[] grant(Person patient, String consentId, String grantee, long expiresAt, String... categories) {
        return patient.sign(TxType.GRANT_CONSENT, Fields.builder().put("consentId", consentId).put("grantee", grantee)
                .put("categories", List.of(categories)).put("expiresAt", expiresAt).build());
    }

    public byte[] revoke(Person patient, String consentId) {
        return patient.sign(TxType.REVOKE_CONSENT, Fields.builder().put("consentId", consentId).build());
    }

    public byte[] read(Person reader, Person patient, String category, String reason) {
        return reader.sign(TxType.RECORD_ACCESS, Fields.builder().put("patient", patient.id)
                .put("category", category).put("reason", reason).build());
    }

    public byte[] emergency(Person admin, boolean declare, String reason, long minutes) {
        Fields.Builder b = Fields.builder().put("reason", reason);
        if (declare) {
            b.put("minutes", minutes);
        }
        return admin.sign(declare ? TxType.DECLARE_EMERGENCY : TxType.END_EMERGENCY, b.build());
    }

    public byte[] erase(Person by, String recordId, String legalBasis) {
        return by.sign(TxType.ERASE_RECORD, Fields.builder().put("recordId", recordId).put("legalBasis", legalBasis)
                .build());
    }

    public byte[] confirm(Person admin, Person registered) {
        return admin.sign(TxType.CONFIRM_REGISTRATION, Fields.builder().put("userId", registered.id).build());
    }

    /** The second administrator of St Mary registered by the first, who then confirms the doctor's registration. */
    public List<byte[]> secondAdminConfirmsDoctor() {
        return List.of(registerStaff(admin, secondAdmin, TxType.REGISTER_ADMIN), confirm(secondAdmin, doctor));
    }

    public byte[] requestRecovery(Person admin, Person who, String code) {
        return admin.sign(TxType.REQUEST_RECOVERY, Fields.builder().put("userId", who.id)
                .put("reason", "lost their password, identity checked in person").put("codeHash", sha256(code)).build());
    }

    public byte[] approveRecovery(Person admin, Person who, String code) {
        return admin.sign(TxType.APPROVE_RECOVERY, Fields.builder().put("userId", who.id).put("codeHash", sha256(code))
                .build());
    }

    /** {@code renewed}'s new keys (the same id as the lost identity), with both codes and re-wrapped record keys. */
    public byte[] completeRecovery(Person renewed, String requestCode, String approvalCode, List<String> wraps) {
        return renewed.sign(TxType.COMPLETE_RECOVERY, Fields.builder().put("userId", renewed.id)
                .put("signingKey", renewed.signingKey()).put("encryptionKey", renewed.encryptionKey())
                .put("signingCertificate", renewed.cert(true)).put("encryptionCertificate", renewed.cert(false))
                .put("requestCode", requestCode).put("approvalCode", approvalCode).put("wraps", wraps).build());
    }

    private static byte[] sha256(String code) {
        return org.ehrledger.consensus.codec.Digest.sha256(code.getBytes(java.nio.charset.StandardCharsets.UTF_8)).bytes();
    }

    public byte[] breakGlass(Person practitioner, Person patient, String reason, long minutes) {
        return practitioner.sign(TxType.OPEN_BREAK_GLASS, Fields.builder().put("patient", patient.id)
                .put("reason", reason).put("minutes", minutes).build());
    }
}
