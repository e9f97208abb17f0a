package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** The access log. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#ACCESS_EVENT}. */
@Entity
@Table(name = "STATE_ACCESS_EVENT", indexes = {@Index(name = "IX_ACCESS_EVENT_1", columnList = "PATIENT, ACCESSED_AT, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "PATIENT", length = 300))
@AttributeOverride(name = "sortOrder", column = @Column(name = "ACCESSED_AT", nullable = false))
public class StateAccessEventRow extends StateRowEntity {
}
