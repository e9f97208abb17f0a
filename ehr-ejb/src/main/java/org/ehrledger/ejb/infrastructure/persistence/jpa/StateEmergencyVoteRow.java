package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Pending emergency votes. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#EMERGENCY_VOTE}. */
@Entity
@Table(name = "STATE_EMERGENCY_VOTE", indexes = {@Index(name = "IX_EMERGENCY_VOTE_1", columnList = "KIND, SORT_ORDER, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "KIND", length = 300))
public class StateEmergencyVoteRow extends StateRowEntity {
}
