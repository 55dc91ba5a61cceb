/** Entry point of the web console (built by Vite into dist/console, served at / by eventlog serve). */

import { render } from 'preact';
import { App } from './app.js';
import './styles.css';

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
