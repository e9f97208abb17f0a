package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Consents. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#CONSENT}. */
@Entity
@Table(name = "STATE_CONSENT", indexes = {@Index(name = "IX_CONSENT_1", columnList = "PATIENT, SORT_ORDER, ROW_KEY"), @Index(name = "IX_CONSENT_2", columnList = "GRANTEE, SORT_ORDER, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "PATIENT", length = 300))
@AttributeOverride(name = "index2", column = @Column(name = "GRANTEE", length = 300))
public class StateConsentRow extends StateRowEntity {
}
