package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Clinical records' on-chain facts. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#RECORD}. */
@Entity
@Table(name = "STATE_RECORD", indexes = {@Index(name = "IX_RECORD_1", columnList = "PATIENT, CREATED_AT, ROW_KEY"),
        @Index(name = "IX_RECORD_2", columnList = "INDEX_2, CREATED_AT DESC, ROW_KEY DESC")})
@AttributeOverride(name = "index1", column = @Column(name = "PATIENT", length = 300))
@AttributeOverride(name = "sortOrder", column = @Column(name = "CREATED_AT", nullable = false))
public class StateRecordRow extends StateRowEntity {
}
