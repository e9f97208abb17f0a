package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Records staged by open imports. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#STAGED_RECORD}. */
@Entity
@Table(name = "STATE_STAGED_RECORD", indexes = {@Index(name = "IX_STAGED_RECORD_1", columnList = "IMPORT_ID, SEQUENCE_NO, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "IMPORT_ID", length = 300))
@AttributeOverride(name = "sortOrder", column = @Column(name = "SEQUENCE_NO", nullable = false))
public class StateStagedRecordRow extends StateRowEntity {
}
