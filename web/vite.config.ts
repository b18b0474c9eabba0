import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `vite build web` writes web/dist, which the Worker serves as static assets (wrangler.toml [assets]).
// `vite web` serves the app with hot reload and sends the API and the WebSockets to `npm start` on 8787.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true },
  server: {
    proxy: { "/api": { target: `http://127.0.0.1:${process.env.API_PORT ?? "8787"}`, ws: true } },
  },
});
