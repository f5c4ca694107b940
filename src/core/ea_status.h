/*
 * ea_status.h - result codes of the numeric core.
 *
 * The core cannot raise PostgreSQL errors, so fallible operations return one
 * of these and the fmgr layer turns it into an ereport with a SQLSTATE.
 */
#ifndef EA_STATUS_H
#define EA_STATUS_H

typedef enum EaStatus
{
	EA_OK = 0,
	EA_ENOMEM,					/* allocation failed */
	EA_ELIMIT,					/* a documented size limit was reached */
	EA_EPARAM,					/* states or rows built with different options */
	EA_ECORRUPT,				/* a serialized state failed validation */
	EA_ERANGE					/* the values span more than a double holds (max - min) */
} EaStatus;

#endif							/* EA_STATUS_H */
