#!/usr/bin/env node
// The `tcplab` command.
import { Command } from 'commander';
import { connectCommand } from './connect.js';
import { diagramCommand } from './diagram.js';
import { nstatCommand } from './nstat.js';
import { serveCommand } from './serve.js';
import { ssCommand } from './ss.js';
import { traceCommand } from './trace.js';
import { scenarioCommand, tourCommand } from './tour.js';

const program = new Command();
program
  .name('tcplab')
  .description('A TCP/IP stack in TypeScript over a TUN device: reproduce TCP states against the Linux kernel, capture them, measure them.')
  .showHelpAfterError()
  .addCommand(tourCommand())
  .addCommand(scenarioCommand())
  .addCommand(serveCommand())
  .addCommand(connectCommand())
  .addCommand(ssCommand())
  .addCommand(nstatCommand())
  .addCommand(traceCommand())
  .addCommand(diagramCommand());

await program.parseAsync();
