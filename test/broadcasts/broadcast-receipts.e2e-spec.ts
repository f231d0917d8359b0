import { type MessengerTestApp, startMessengerApp } from '../support/messenger-harness';
import { delivery, deliveryReceipt, readReceipt } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';
import { broadcastSends, enter, segmentVia, waitForStatus } from './broadcast-support';

/**
 * Issue 14: a broadcast's `delivered` and `read` counts come from Messenger's delivery and read
 * watermarks (signed webhooks, as Meta sends them): everything sent up to the watermark.
 */
describe('Broadcast delivered and read counts', () => {
  let t: MessengerTestApp;
  let segment: string;
  const url = (path = ''): string => `/api/v1/bots/${t.botId}/broadcasts${path}`;
  const people = ['rc-delivered', 'rc-read', 'rc-early', 'rc-silent'];

  beforeAll(async () => {
    t = await startMessengerApp();
    segment = await segmentVia(t, 'Receipts');
    for (const psid of people) await enter(t, psid, 'Receipts');
  }, 60_000);
  afterAll(() => t.close());

  const broadcast = async (marker: string): Promise<string> => {
    const created = await t.admin.post(url(), {
      name: marker,
      audience: { include: [segment] },
      content: { messages: [{ type: 'text', text: `News ${marker}` }] },
    });
    const done = await waitForStatus(t, created.body.id, 'completed');
    expect(done.counts).toMatchObject({ sent: people.length, delivered: 0, read: 0 });
    return created.body.id;
  };

  const counts = async (id: string) => (await t.admin.get(url(`/${id}`))).body.counts;

  it('counts the sends that delivery and read watermarks cover, once each', async () => {
    const id = await broadcast('[first]');
    const sentAt = (psid: string): number => broadcastSends(t, psid, '[first]')[0].at;
    const item = { pageId: t.pageId };
    await t.deliver(
      delivery(t.pageId, [
        deliveryReceipt({ ...item, psid: 'rc-delivered', mids: [], watermark: Date.now() }),
        // A read watermark says delivered too, even with no delivery receipt before it.
        readReceipt({ ...item, psid: 'rc-read', watermark: Date.now() }),
        // A watermark older than the broadcast's send covers only earlier messages.
        deliveryReceipt({
          ...item,
          psid: 'rc-early',
          mids: [],
          watermark: sentAt('rc-early') - 2000,
        }),
      ]),
    );
    await waitFor(async () => (await counts(id)).delivered === 2, { what: 'two delivered' });
    expect(await counts(id)).toMatchObject({ sent: 4, delivered: 2, read: 1 });

    // The same receipts again (Meta redelivers) and a later read of the delivered one.
    await t.deliver(
      delivery(t.pageId, [
        deliveryReceipt({ ...item, psid: 'rc-delivered', mids: [], watermark: Date.now() }),
        readReceipt({ ...item, psid: 'rc-read', watermark: Date.now() }),
        readReceipt({ ...item, psid: 'rc-delivered', watermark: Date.now() }),
      ]),
    );
    await waitFor(async () => (await counts(id)).read === 2, { what: 'two read' });
    expect(await counts(id)).toMatchObject({ sent: 4, delivered: 2, read: 2 });

    // A later broadcast is not covered by the watermarks of the first one.
    const second = await broadcast('[second]');
    expect(await counts(second)).toMatchObject({ delivered: 0, read: 0 });
    expect(await counts(id)).toMatchObject({ delivered: 2, read: 2 });
  }, 60_000);
});
