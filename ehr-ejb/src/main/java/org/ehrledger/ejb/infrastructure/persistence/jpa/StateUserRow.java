package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Index;
import jakarta.persistence.Table;

/** Users. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#USER}. */
@Entity
@Table(name = "STATE_USER", indexes = {@Index(name = "IX_USER_1", columnList = "ORGANISATION, SORT_ORDER, ROW_KEY"), @Index(name = "IX_USER_2", columnList = "SIGNING_KEY, SORT_ORDER, ROW_KEY"), @Index(name = "IX_USER_3", columnList = "ENCRYPTION_KEY, SORT_ORDER, ROW_KEY")})
@AttributeOverride(name = "index1", column = @Column(name = "ORGANISATION", length = 300))
@AttributeOverride(name = "index2", column = @Column(name = "SIGNING_KEY", length = 300))
@AttributeOverride(name = "index3", column = @Column(name = "ENCRYPTION_KEY", length = 300))
public class StateUserRow extends StateRowEntity {
}
