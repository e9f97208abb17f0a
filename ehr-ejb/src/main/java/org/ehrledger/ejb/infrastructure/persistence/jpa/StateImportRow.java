package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Whole-history imports. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#IMPORT}. */
@Entity
@Table(name = "STATE_IMPORT", indexes = {@Index(name = "IX_IMPORT_1", columnList = "PATIENT, STARTED_AT, ROW_KEY"),
        @Index(name = "IX_IMPORT_2", columnList = "AUTHOR, STARTED_AT, ROW_KEY"), @Index(name = "IX_IMPORT_3", columnList = "STATUS, STARTED_AT, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "PATIENT", length = 300))
@AttributeOverride(name = "index2", column = @Column(name = "AUTHOR", length = 300))
@AttributeOverride(name = "index3", column = @Column(name = "STATUS", length = 300))
@AttributeOverride(name = "sortOrder", column = @Column(name = "STARTED_AT", nullable = false))
public class StateImportRow extends StateRowEntity {
}
