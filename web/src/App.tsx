/** The web client: a talk page, a calls page and the live monitor, switched by the URL hash. */
import { useEffect, useState } from 'react';
import { Calls } from './Calls.js';
import { Monitor } from './Monitor.js';
import { Talk } from './Talk.js';

/** What `/health` says about the server. */
export interface ServerInfo {
  model: string;
  availableModels: string[];
  voices: string[];
  /** Models a caller may pick, with their voices (the default first). */
  models: { id: string; voices: string[] }[];
  authRequired: boolean;
  /** Whether the server can answer WebRTC (a lean install cannot; `reason` says why). */
  webrtc?: { available: boolean; reason?: string };
}

function usePage(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.startsWith('#/calls') ? 'calls' : hash === '#/monitor' ? 'monitor' : 'talk';
}

export function App() {
  const page = usePage();
  const [info, setInfo] = useState<ServerInfo | null>(null);
  const [infoError, setInfoError] = useState<string | null>(null);
  const [token, setToken] = useState(() => new URLSearchParams(location.search).get('token') ?? localStorage.getItem('vb-token') ?? '');
  useEffect(() => {
    fetch('/health')
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((j: ServerInfo) => setInfo(j))
      .catch(() => setInfoError('The server is unreachable. Check that voicebridge is running, then reload.'));
  }, []);
  const saveToken = (t: string) => {
    setToken(t);
    localStorage.setItem('vb-token', t);
  };
  return (
    <div className="app">
      <header className="top">
        <div className="brand">
          <span className="logo" aria-hidden>◉</span> voicebridge
        </div>
        <nav>
          <a href="#/" className={page === 'talk' ? 'active' : ''}>Talk</a>
          <a href="#/calls" className={page === 'calls' ? 'active' : ''}>Calls</a>
          <a href="#/monitor" className={page === 'monitor' ? 'active' : ''}>Monitor</a>
        </nav>
        <div className="server">{info ? <>model <b>{info.model}</b></> : infoError ? <span className="bad">offline</span> : '…'}</div>
      </header>
      {infoError && <div className="banner error">{infoError}</div>}
      {info?.authRequired && (
        <div className="banner">
          <label>
            Access token <input type="password" value={token} onChange={(e) => saveToken(e.target.value)} placeholder="paste a JWT" />
          </label>
        </div>
      )}
      <main>{page === 'calls' ? <Calls token={token} /> : page === 'monitor' ? <Monitor token={token} /> : <Talk info={info} token={token} />}</main>
    </div>
  );
}
