#!/usr/bin/env node
// An actor for rollcall's interop tests: drives any number of official @deepstream/client
// instances ("clients", each named by the test) against one server, reading one JSON command per
// line on stdin and printing one JSON observation per line on stdout. tests/src/interop.rs runs it.
//
//   node actor.js ws://127.0.0.1:PORT/deepstream
//
// Environment: ACTOR_TIMEOUT_MS (default 30000): hard limit; past it the actor exits with status 3,
// so a broken server never hangs a test. End of stdin closes every client and exits with status 0.
//
// Commands (every one may carry an "id"; its reply repeats it as {"id":N,"event":"reply",...}):
//   {"cmd":"login","who":"a","user":"Marge","options":{...},"wire":true}
//        creates client "a" and logs in as Marge (no "user": anonymous login); "options" are
//        merged into the client options; "wire" also reports every PRESENCE frame received.
//        reply {"ok":true|false,"data":...}
//   {"cmd":"getAll","who":"a"}                   reply {"error":null,"result":["Homer",...]}
//   {"cmd":"getAll","who":"a","names":[...]}     reply {"error":null,"result":{...},"keys":[...]}
//   {"cmd":"subscribe","who":"a"}                subscribe(presenceCallback), then sync
//   {"cmd":"subscribe","who":"a","user":"Marge"} subscribe('Marge', presenceCallback), then sync
//   {"cmd":"unsubscribe","who":"a","user":"Marge"}  unsubscribe('Marge'), then sync
//   {"cmd":"unsubscribe","who":"a"}              unsubscribe(), then sync
//   {"cmd":"sync","who":"a"}                     waits until everything "a" sent has been
//        answered: lets the client's subscription batch go out, then completes a getAll()
//        round trip (the server answers a connection in order). reply {"unacked":[...]} lists
//        the subscription requests the server has not acknowledged by then.
//   {"cmd":"close","who":"a"}                    client.close(); replies once the socket is closed
//
// Observations besides replies:
//   {"who":"a","event":"join-all"|"leave-all","user":"Marge"}        subscribe(callback)
//   {"who":"a","event":"join"|"leave","sub":"Marge","user":"Marge"}  subscribe('Marge', callback)
//   {"who":"a","event":"error","kind":"MESSAGE_DENIED","topic":"PRESENCE","detail":...}
//   {"who":"a","event":"state","state":"OPEN"}                        connection state changes
//   {"who":"a","event":"wire","action":"PRESENCE_JOIN","name":...}   with "wire": true
//   {"who":null,"event":"warning","text":"..."}                      the client's console warnings
// Every frame each client sends and receives is traced on stderr.
'use strict'

const readline = require('readline')
const { DeepstreamClient } = require('@deepstream/client')
const { socketFactory } = require('@deepstream/client/dist/src/connection/socket-factory')
const { parse } = require('@deepstream/protobuf/dist/src/message-parser')
const { TOPIC, PRESENCE_ACTION } = require('@deepstream/protobuf/dist/types/all')
const { ACTIONS } = require('@deepstream/protobuf/dist/types/messages')

const url = process.argv[2]
if (!url) {
  process.stderr.write('usage: node actor.js ws://HOST:PORT/deepstream\n')
  process.exit(2)
}
const timeoutMs = Number(process.env.ACTOR_TIMEOUT_MS || 30000)
const hardStop = setTimeout(() => {
  process.stderr.write(`actor: no end of input after ${timeoutMs} ms: giving up\n`)
  process.exit(3)
}, timeoutMs)

// stdout carries observations only: the client's own console output goes to stderr.
const warn = console.warn.bind(console)
console.log = console.info = console.debug = console.error
console.warn = (...args) => {
  warn(...args)
  emit({ who: null, event: 'warning', text: args.map(String).join(' ') })
}

function emit (observation) {
  process.stdout.write(JSON.stringify(observation) + '\n')
}

/** One named client and what the actor tracks about it. */
class Actor {
  constructor (who, user, options, wire) {
    this.who = who
    this.user = user
    this.wire = wire
    // Subscription requests sent and not yet acknowledged: "ACTION correlationId" -> count.
    this.pending = new Map()
    this.client = new DeepstreamClient(url, {
      subscriptionTimeout: 1000,
      ...options,
      socketFactory: this.tap.bind(this)
    })
    this.client.on('error', (detail, kind, topic) => {
      emit({ who, event: 'error', kind: String(kind), topic: topic === undefined ? null : String(topic), detail: describe(detail) })
    })
    this.client.on('connectionStateChanged', (state) => {
      emit({ who, event: 'state', state })
      if (state === 'RECONNECTING') this.pending.clear()
    })
  }

  /** The client's own socket, with every frame traced and acknowledgements tracked. */
  tap (socketUrl, socketOptions, heartbeatInterval) {
    const socket = socketFactory(socketUrl, socketOptions, heartbeatInterval)
    const send = socket.sendParsedMessage
    socket.sendParsedMessage = (message) => {
      trace(this.who, 'C->S', message)
      if (message.topic === TOPIC.PRESENCE && acknowledged(message.action)) {
        const key = ackKey(message)
        this.pending.set(key, (this.pending.get(key) || 0) + 1)
      }
      send(message)
    }
    const receive = socket.onmessage
    socket.onmessage = (raw) => {
      for (const message of parse(raw.data)) {
        trace(this.who, 'S->C', message)
        if (message.topic !== TOPIC.PRESENCE) continue
        if (message.isAck && acknowledged(message.action)) {
          const key = ackKey(message)
          const left = (this.pending.get(key) || 0) - 1
          if (left > 0) this.pending.set(key, left)
          else this.pending.delete(key)
        }
        if (this.wire) {
          emit({
            who: this.who,
            event: 'wire',
            action: PRESENCE_ACTION[message.action],
            name: message.name || null,
            names: message.names || null,
            correlationId: message.correlationId || null,
            isAck: Boolean(message.isAck),
            isError: Boolean(message.isError),
            data: message.data === undefined ? null : message.data.toString()
          })
        }
      }
      receive(raw)
    }
    return socket
  }

  /** The guide's callback, one per subscription so that observations say which one fired. */
  presenceCallback (sub) {
    const who = this.who
    return function presenceCallback (username, login) {
      if (login === true) {
        // handle login
        emit(sub === null ? { who, event: 'join-all', user: username } : { who, event: 'join', sub, user: username })
      } else {
        // handle logout
        emit(sub === null ? { who, event: 'leave-all', user: username } : { who, event: 'leave', sub, user: username })
      }
    }
  }

  /** Lets the subscription batch go out, then completes a getAll() round trip. */
  sync (done) {
    // The client batches subscriptions on its own timer registry, whose timers fire in the
    // order they were added: one added now, as long, fires after the batch has gone out.
    this.client.services.timerRegistry.add({
      duration: this.client.options.subscriptionInterval,
      context: this,
      callback: () => {
        this.client.presence.getAll((error) => {
          done({ error: error || null, unacked: [...this.pending.keys()] })
        })
      }
    })
  }
}

function acknowledged (action) {
  return action === PRESENCE_ACTION.SUBSCRIBE || action === PRESENCE_ACTION.UNSUBSCRIBE ||
    action === PRESENCE_ACTION.SUBSCRIBE_ALL || action === PRESENCE_ACTION.UNSUBSCRIBE_ALL
}

function ackKey (message) {
  return `${PRESENCE_ACTION[message.action]} ${message.correlationId || ''}`.trim()
}

function trace (who, direction, message) {
  const topic = TOPIC[message.topic]
  const actions = ACTIONS[message.topic]
  const action = actions ? actions[message.action] : message.action
  const fields = {}
  for (const key of ['name', 'names', 'correlationId', 'isAck', 'isError', 'originalAction', 'data', 'parsedData']) {
    if (message[key] !== undefined && message[key] !== null && message[key] !== false) {
      fields[key] = Buffer.isBuffer(message[key]) ? message[key].toString() : message[key]
    }
  }
  process.stderr.write(`${Date.now() % 100000} ${who} ${direction} ${topic}/${action} ${JSON.stringify(fields)}\n`)
}

function describe (detail) {
  if (detail === undefined || detail === null) return null
  if (typeof detail === 'string' || typeof detail === 'number') return detail
  if (typeof detail.topic === 'number') {
    // A deepstream message the client could not handle.
    const actions = ACTIONS[detail.topic] || {}
    return {
      topic: TOPIC[detail.topic],
      action: actions[detail.action] || detail.action,
      originalAction: detail.originalAction === undefined ? null : actions[detail.originalAction] || detail.originalAction,
      name: detail.name || null,
      correlationId: detail.correlationId || null
    }
  }
  if (typeof detail.message === 'string') return detail.message
  return String(detail)
}

const actors = new Map()

function actor (who) {
  const found = actors.get(who)
  if (!found) throw new Error(`no client named ${JSON.stringify(who)}: log it in first`)
  return found
}

function run (command, reply) {
  const { cmd, who } = command
  switch (cmd) {
    case 'login': {
      if (actors.has(who)) throw new Error(`client ${JSON.stringify(who)} exists already`)
      const user = command.user === undefined ? null : command.user
      const a = new Actor(who, user, command.options || {}, Boolean(command.wire))
      actors.set(who, a)
      const details = user === null ? {} : { username: user }
      a.client.login(details, (success, data) => reply({ ok: success, data: data === undefined ? null : data }))
      return
    }
    case 'getAll': {
      const { client } = actor(who)
      if (command.names === undefined) {
        client.presence.getAll((error, usernames) => {
          reply({ error: error || null, result: usernames === undefined ? null : usernames })
        })
      } else {
        client.presence.getAll(command.names, (error, result) => {
          reply({ error: error || null, result: result === undefined ? null : result, keys: result ? Object.keys(result) : null })
        })
      }
      return
    }
    case 'subscribe': {
      const a = actor(who)
      if (command.user === undefined) {
        a.client.presence.subscribe(a.presenceCallback(null))
      } else {
        a.client.presence.subscribe(command.user, a.presenceCallback(command.user))
      }
      a.sync(reply)
      return
    }
    case 'unsubscribe': {
      const a = actor(who)
      if (command.user === undefined) {
        a.client.presence.unsubscribe()
      } else {
        a.client.presence.unsubscribe(command.user)
      }
      a.sync(reply)
      return
    }
    case 'sync':
      actor(who).sync(reply)
      return
    case 'close': {
      const { client } = actor(who)
      actors.delete(who)
      if (client.getConnectionState() === 'CLOSED') return reply({})
      client.on('connectionStateChanged', (state) => {
        if (state === 'CLOSED') reply({})
      })
      client.close()
      return
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd)}`)
  }
}

function finish () {
  clearTimeout(hardStop)
  for (const { client } of actors.values()) client.close()
  // Let the close frames leave before exiting.
  setTimeout(() => process.exit(0), 100)
}

const input = readline.createInterface({ input: process.stdin })
input.on('line', (line) => {
  if (line.trim() === '') return
  let command
  try {
    command = JSON.parse(line)
  } catch (error) {
    emit({ who: null, event: 'bad-command', text: line, error: error.message })
    return
  }
  const id = command.id === undefined ? null : command.id
  const reply = (fields) => emit({ id, who: command.who === undefined ? null : command.who, event: 'reply', cmd: command.cmd, ...fields })
  try {
    run(command, reply)
  } catch (error) {
    emit({ id, who: command.who === undefined ? null : command.who, event: 'bad-command', cmd: command.cmd, error: error.message })
  }
})
input.on('close', finish)
