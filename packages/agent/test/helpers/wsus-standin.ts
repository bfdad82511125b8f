export * from '../../../simulator/src/wsus/standins.js';
