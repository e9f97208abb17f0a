package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Pending admissions of organisations. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#ADMISSION_VOTE}. */
@Entity
@Table(name = "STATE_ADMISSION_VOTE", indexes = {@Index(name = "IX_ADMISSION_VOTE_1", columnList = "ORGANISATION, SORT_ORDER, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "ORGANISATION", length = 300))
public class StateAdmissionVoteRow extends StateRowEntity {
}
