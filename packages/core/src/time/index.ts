export { humanTime, localTime, relativeTime } from './human.js';
