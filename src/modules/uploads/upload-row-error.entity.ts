import { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Upload } from './upload.entity';

/** One rejected cell (or unreadable row) of an upload, for the errors page. */
@Entity({ tableName: 'upload_row_errors' })
@Index({ properties: ['uploadId', 'row'] })
export class UploadRowError {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  /** Deleted with its upload (retention), by the foreign key. */
  @ManyToOne(() => Upload, { fieldName: 'upload_id', mapToPk: true, deleteRule: 'cascade' })
  uploadId!: string;

  /** Data row number (1 = the first row after the header). */
  @Property({ type: 'integer' })
  row!: number;

  /** Line of the file where the row starts. */
  @Property({ type: 'integer' })
  line!: number;

  /** Dataset column; null when the row as a whole could not be read. */
  @Property({ type: 'text', nullable: true })
  column: string | null = null;

  @Property({ type: 'text' })
  message!: string;

  /** The offending value, truncated for the report. */
  @Property({ type: 'text', nullable: true })
  value: string | null = null;
}
