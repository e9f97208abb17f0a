package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Wrapped data keys of records, one per reader. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#KEY_WRAP}. */
@Entity
@Table(name = "STATE_KEY_WRAP", indexes = {@Index(name = "IX_KEY_WRAP_1", columnList = "RECORD_ID, SORT_ORDER, ROW_KEY"), @Index(name = "IX_KEY_WRAP_2", columnList = "READER, SORT_ORDER, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "RECORD_ID", length = 300))
@AttributeOverride(name = "index2", column = @Column(name = "READER", length = 300))
public class StateKeyWrapRow extends StateRowEntity {
}
