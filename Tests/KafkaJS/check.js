const { Kafka, CompressionTypes, logLevel } = require(process.env.KAFKAJS_DIR)
const kafka = new Kafka({ clientId: 'kjs-check', brokers: [process.env.BOOTSTRAP], logLevel: logLevel.WARN })
const topic = 'order.created'
const sleep = ms => new Promise(r => setTimeout(r, ms))
const expect = (ok, what) => { if (!ok) throw new Error('check failed: ' + what) }
async function main() {
  const admin = kafka.admin(); await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '604800000' }] }, { topic: 'notification.email', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '259200000' }] }] })
  const topics = (await admin.listTopics()).sort()
  console.log('topics', topics)
  expect(topics.includes(topic) && topics.includes('notification.email'), 'both topics listed')
  const meta = await admin.fetchTopicMetadata({ topics: [topic] })
  console.log('partitions', meta.topics[0].partitions.length)
  expect(meta.topics[0].partitions.length === 3, '3 partitions')
  const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: 'notification.email', configNames: ['retention.ms'] }] })
  console.log('notification.email retention.ms', cfg.resources[0].configEntries[0].configValue)
  expect(cfg.resources[0].configEntries[0].configValue === '259200000', 'retention.ms as created')
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 }); await producer.connect()
  for (const codec of [CompressionTypes.None, CompressionTypes.GZIP]) {
    const messages = []
    for (let i = 0; i < 300; i++) messages.push({ key: 'order-' + i, value: JSON.stringify({ i, codec }), headers: { source: 'kjs' } })
    await producer.send({ topic, acks: -1, compression: codec, messages })
  }
  await producer.disconnect()
  const offs = await admin.fetchTopicOffsets(topic)
  const written = offs.map(o => o.high).reduce((a, b) => a + Number(b), 0)
  console.log('high watermarks', written)
  expect(written === 600, '600 records written exactly once')
  // two members in one group, consume everything, commit
  const seen = new Map(); const owners = {}
  const mk = name => { const c = kafka.consumer({ groupId: 'kjs-group', sessionTimeout: 10000, heartbeatInterval: 500 }); c.name = name; return c }
  const a = mk('a'), b = mk('b')
  for (const c of [a, b]) {
    await c.connect(); await c.subscribe({ topic, fromBeginning: true })
    c.on(c.events.GROUP_JOIN, e => { owners[c.name] = e.payload.memberAssignment[topic] || [] })
    await c.run({ eachMessage: async ({ partition, message }) => { seen.set(message.key.toString(), (seen.get(message.key.toString()) || 0) + 1) } })
  }
  // The first member may consume everything before the second joins; the assignment to
  // check is the one after that rebalance (each member's latest GROUP_JOIN).
  const owned = () => JSON.stringify([...(owners.a || []), ...(owners.b || [])].sort())
  for (let i = 0; i < 60 && (seen.size < 300 || owned() !== '[0,1,2]'); i++) await sleep(500)
  console.log('distinct keys consumed', seen.size, 'owners', JSON.stringify(owners))
  expect(seen.size === 300, 'every key consumed')
  expect(owned() === '[0,1,2]', 'each partition owned by exactly one member')
  await sleep(1500)
  const desc = await admin.describeGroups(['kjs-group'])
  console.log('group', desc.groups[0].state, 'members', desc.groups[0].members.length, 'protocol', desc.groups[0].protocol)
  expect(desc.groups[0].state === 'Stable' && desc.groups[0].members.length === 2, 'a stable group of two')
  await a.disconnect(); await b.disconnect()
  const committed = await admin.fetchOffsets({ groupId: 'kjs-group', topics: [topic] })
  const total = committed[0].partitions.reduce((s, p) => s + Number(p.offset), 0)
  console.log('committed total', total)
  expect(total === 600, 'commits at the end of every partition')
  // more messages; a new member resumes at the commits
  const p2 = kafka.producer(); await p2.connect()
  await p2.send({ topic, messages: [{ key: 'late-1', value: 'x' }, { key: 'late-2', value: 'y' }] }); await p2.disconnect()
  const late = []; const c = kafka.consumer({ groupId: 'kjs-group', heartbeatInterval: 500 }); await c.connect(); await c.subscribe({ topic })
  await c.run({ eachMessage: async ({ message }) => { late.push(message.key.toString()) } })
  for (let i = 0; i < 40 && late.length < 2; i++) await sleep(500)
  await sleep(1000)
  console.log('resumed with', JSON.stringify(late.sort()))
  expect(JSON.stringify(late) === '["late-1","late-2"]', 'a new member resumes exactly at the commits')
  await c.disconnect()
  console.log('groups', JSON.stringify((await admin.listGroups()).groups))
  await admin.deleteTopics({ topics: ['notification.email'] })
  const left = (await admin.listTopics()).filter(t => !t.startsWith('__')).sort()
  console.log('after delete', left)
  expect(JSON.stringify(left) === '["order.created"]', 'notification.email deleted')
  console.log('KafkaJS check passed')
  await admin.disconnect()
}
main().then(() => process.exit(0), e => { console.error('FAILED', e); process.exit(1) })
