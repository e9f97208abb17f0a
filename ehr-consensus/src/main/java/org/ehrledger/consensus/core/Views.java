package org.ehrledger.consensus.core;

import org.ehrledger.consensus.message.NewView;

/** What the normal case and state transfer ask of the view-change protocol ({@link ViewChanges}). */
interface Views {

    /** A batch executed: the current view makes progress, so the view-change back-off resets. */
    void onProgress();

    /** Enters the view announced by a validated new-view message. */
    void enter(NewView newView);
}
