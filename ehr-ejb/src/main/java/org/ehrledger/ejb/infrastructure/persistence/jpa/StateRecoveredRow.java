package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Completed identity recoveries. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#RECOVERED}. */
@Entity
@Table(name = "STATE_RECOVERED", indexes = {@Index(name = "IX_RECOVERED_1", columnList = "USER_ID, COMPLETED_AT, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "USER_ID", length = 300))
@AttributeOverride(name = "sortOrder", column = @Column(name = "COMPLETED_AT", nullable = false))
public class StateRecoveredRow extends StateRowEntity {
}
