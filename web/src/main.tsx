import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
// The stylesheet in five parts, imported in cascade order: where rules tie, the later one wins.
import "./styles/base.css";
import "./styles/home.css";
import "./styles/session.css";
import "./styles/pages.css";
import "./styles/invitations.css";
import "./styles/perform.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
