package org.ehrledger.ejb.application.service;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.ehrledger.ejb.application.ledger.LedgerRuntime;
import org.ehrledger.ejb.domain.model.registry.Organisation;
import org.ehrledger.ejb.infrastructure.consensus.ReplicaConfig;
import org.ehrledger.ejb.infrastructure.crypto.CryptoException;
import org.ehrledger.ejb.infrastructure.crypto.KeyWrap;
import org.ehrledger.ejb.infrastructure.identity.OrganisationCa;

/**
 * Re-wraps the record keys a person holds for their new encryption key, as {@code ROTATE_KEY} and
 * {@code COMPLETE_RECOVERY} carry them ({@code <recordId>:<base64>}, at most
 * {@link ClinicalRecords#MAX_REWRAPS}): with the person's own old key (a rotation), or with this
 * replica's custodian key (a recovery: the old key is lost, and only records of this organisation's
 * patients have a custodian wrap). The data keys exist only inside this bean, never in anyone's session.
 */
@ApplicationScoped
public class KeyRenewal {

    @Inject
    LedgerRuntime ledger;

    @Inject
    OrganisationCa organisation;

    @Inject
    ReplicaConfig config;

    /** The person's wraps opened with their old key pair and made for {@code newKey}. */
    public List<String> withOwnKey(String userId, KeyPair old, PublicKey newKey) {
        return rewrap(userId, userId, old, newKey);
    }

    /** The person's wraps re-made from the custodian's wraps of the same records, for {@code newKey}. */
    public List<String> withCustodian(String userId, PublicKey newKey) {
        return rewrap(userId, Organisation.custodianOf(config.organisationId()), organisation.custodian(), newKey);
    }

    private List<String> rewrap(String userId, String opener, KeyPair openerKeys, PublicKey newKey) {
        Map<String, byte[]> wrapped = ledger.query(s -> {
            Map<String, byte[]> out = new TreeMap<>();
            for (String recordId : s.recordsWrappedFor(userId, ClinicalRecords.MAX_REWRAPS)) {
                byte[] w = s.wrappedKey(recordId, opener);
                if (w != null) {
                    out.put(recordId, w);
                }
            }
            return out;
        });
        List<String> out = new ArrayList<>(wrapped.size());
        for (Map.Entry<String, byte[]> e : wrapped.entrySet()) {
            byte[] context = e.getKey().getBytes(StandardCharsets.UTF_8);
            try {
                byte[] key = KeyWrap.unwrap(KeyWrap.Wrapped.decode(e.getValue()), openerKeys.getPrivate(),
                        openerKeys.getPublic(), context);
                out.add(e.getKey() + ":" + Base64.getEncoder().encodeToString(KeyWrap.wrap(key, newKey, context).encode()));
                Arrays.fill(key, (byte) 0);
            } catch (CryptoException unreadable) {
                // a wrap this key cannot open is left out: the person loses no more than they could read
            }
        }
        return out;
    }
}
