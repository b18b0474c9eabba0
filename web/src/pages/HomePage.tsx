import { useCallback, useState } from "react";
import { navigate } from "../lib/router";
import { CreateSessionModal } from "../widgets/CreateSessionModal";
import { EmailSetting } from "../widgets/EmailSetting";
import { MyInvitations } from "../widgets/MyInvitations";
import { SessionList } from "../widgets/SessionList";

export function HomePage() {
  const [creating, setCreating] = useState(false);
  const closeModal = useCallback(() => setCreating(false), []);
  return (
    <main className="home">
      <MyInvitations />
      <SessionList
        onSessionSelect={(session) => navigate(`/sessions/${session.id}`)}
        onCreateSession={() => setCreating(true)}
        statusFilter="all"
        showCreateButton
      />
      <EmailSetting />
      <CreateSessionModal
        isOpen={creating}
        onClose={closeModal}
        onSessionCreated={(sessionId) => {
          setCreating(false);
          navigate(`/sessions/${sessionId}`);
        }}
      />
    </main>
  );
}
