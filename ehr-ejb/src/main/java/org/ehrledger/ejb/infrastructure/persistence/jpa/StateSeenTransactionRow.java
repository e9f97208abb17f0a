package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** Transactions already executed. Rows of {@link org.ehrledger.ejb.application.contracts.StateTable#SEEN_TRANSACTION}. */
@Entity
@Table(name = "STATE_SEEN_TX")
public class StateSeenTransactionRow extends StateRowEntity {
}
