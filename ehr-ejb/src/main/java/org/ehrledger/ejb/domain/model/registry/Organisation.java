package org.ehrledger.ejb.domain.model.registry;

import org.ehrledger.ejb.domain.model.record.Consent;

/**
 * A member organisation (hospital, clinic, lab, insurer), the CA certificate that certifies its users and
 * the public key of its custodian.
 *
 * @param id            stable organisation id
 * @param name          display name
 * @param caCertificate DER-encoded membership CA certificate
 * @param custodianKey  X25519 public key (X.509 encoding) of the organisation's custodian, or null. Every
 *                      record of the organisation's patients is also wrapped for it, so that its replica can
 *                      serve a record to a reader whose access (break-glass, emergency, a consent given to the
 *                      whole organisation) was committed on chain, without the patient being online.
 */
public record Organisation(String id, String name, byte[] caCertificate, byte[] custodianKey) {

    /**
     * Member organisations that must propose the very same admission of a new member: a majority, so no
     * single administrator can create organisations (and their votes).
     */
    public static int admissionMajority(int members) {
        return members / 2 + 1;
    }

    /** The key-wrap reader name of this organisation's custodian. */
    public String custodian() {
        return custodianOf(id);
    }

    /** The key-wrap reader name of an organisation's custodian: {@code org:<id>}. */
    public static String custodianOf(String organisationId) {
        return Consent.ORGANISATION + organisationId;
    }
}
