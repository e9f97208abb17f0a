package org.ehrledger.ejb.infrastructure.persistence.jpa;

import jakarta.persistence.Column;
import jakarta.persistence.Id;
import jakarta.persistence.Lob;
import jakarta.persistence.MappedSuperclass;

import org.ehrledger.ejb.application.contracts.StateStore;

/**
 * The columns every world-state table has: the row's key, its canonical body, the row digest hashed
 * into the state commitment, and the columns derived from the body that queries use (each table renames
 * those it uses, see {@link org.ehrledger.ejb.application.contracts.StateTable}; the others stay null).
 */
@MappedSuperclass
public abstract class StateRowEntity {

    @Id
    @Column(name = "ROW_KEY", length = 300)
    private String key;

    @Lob
    @Column(name = "BODY", nullable = false)
    private byte[] body;

    @Column(name = "ROW_DIGEST", nullable = false, length = 32)
    private byte[] digest;

    @Column(name = "INDEX_1", length = 300)
    private String index1;

    @Column(name = "INDEX_2", length = 300)
    private String index2;

    @Column(name = "INDEX_3", length = 300)
    private String index3;

    @Column(name = "SORT_ORDER", nullable = false)
    private long sortOrder;

    /** Copies a row into this entity. */
    final StateRowEntity set(StateStore.Row row) {
        key = row.key();
        body = row.body();
        digest = row.digest();
        index1 = row.index1();
        index2 = row.index2();
        index3 = row.index3();
        sortOrder = row.order();
        return this;
    }

    /** This entity as a row. */
    final StateStore.Row row() {
        return new StateStore.Row(key, body, digest, index1, index2, index3, sortOrder);
    }
}
