package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Break-glass grants. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#BREAK_GLASS}. */
@Entity
@Table(name = "STATE_BREAK_GLASS", indexes = {@Index(name = "IX_BREAK_GLASS_1", columnList = "PATIENT, OPENED_AT, ROW_KEY"), @Index(name = "IX_BREAK_GLASS_2", columnList = "PRACTITIONER, OPENED_AT, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "PATIENT", length = 300))
@AttributeOverride(name = "index2", column = @Column(name = "PRACTITIONER", length = 300))
@AttributeOverride(name = "sortOrder", column = @Column(name = "OPENED_AT", nullable = false))
public class StateBreakGlassRow extends StateRowEntity {
}
