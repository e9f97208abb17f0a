package org.ehrledger.ejb.domain.model.registry;

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

    /** The key-wrap reader name of this organisation's custodian. */
    public String custodian() {
        return custodianOf(id);
    }

    /** The key-wrap reader name of an organisation's custodian: {@code org:<id>}. */
    public static String custodianOf(String organisationId) {
        return "org:" + organisationId;
    }
}
