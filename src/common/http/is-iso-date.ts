import { ValidateBy } from 'class-validator';
import { isIsoDate } from '../calendar/iso-date';

/** A real calendar date 'YYYY-MM-DD' (not 2023-02-29). */
export const IsIsoDate = () =>
  ValidateBy({
    name: 'isIsoDate',
    validator: {
      validate: (value) => isIsoDate(value),
      defaultMessage: (args) => `${args?.property} must be a calendar date YYYY-MM-DD`,
    },
  });
