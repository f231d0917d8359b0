import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Contact } from '../../contacts';

/**
 * A contact a broadcast send found unavailable for good (Meta 551, or 200/1545041): later
 * broadcasts skip them instead of failing again. Removed with the contact.
 */
@Entity('broadcast_unreachable_contacts')
export class UnreachableContact {
  @PrimaryColumn({
    name: 'contact_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_broadcast_unreachable_contacts',
  })
  contactId!: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'contact_id',
    foreignKeyConstraintName: 'fk_broadcast_unreachable_contacts_contact',
  })
  contact?: Contact;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @Column({ name: 'error_code', type: 'integer' })
  errorCode!: number;

  @Column({ name: 'error_subcode', type: 'integer', nullable: true })
  errorSubcode!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
