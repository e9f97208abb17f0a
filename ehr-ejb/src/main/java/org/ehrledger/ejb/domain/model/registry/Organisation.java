package org.ehrledger.ejb.domain.model.registry;

/**
 * A member organisation (hospital, clinic, lab, insurer) and the CA certificate that certifies its users.
 *
 * @param id            stable organisation id
 * @param name          display name
 * @param caCertificate DER-encoded membership CA certificate
 */
public record Organisation(String id, String name, byte[] caCertificate) {
}
